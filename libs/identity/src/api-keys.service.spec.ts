import { ApiKeysService } from './api-keys.service';
import { hashApiKey, newApiKey } from './auth-tokens.service';
import type { IdentityRepository } from './identity.repository';

/** The key cache's own logic; the lookups go to an in-memory table standing in for api_keys. */
function setup() {
  const key = newApiKey();
  const table = new Map([[hashApiKey(key), { id: 'k1', name: 'shop', revoked: false }]]);
  let lookups = 0;
  let release: (() => void) | null = null;
  const gate = { hold: false };
  const repo = {
    async findActiveApiKey(hash: string) {
      lookups++;
      const row = table.get(hash);
      const found = row && !row.revoked ? { id: row.id, name: row.name } : undefined;
      if (gate.hold) await new Promise<void>((r) => (release = r)); // the answer is on its way back
      return found;
    },
    async revokeApiKey(id: string) {
      for (const row of table.values()) if (row.id === id) row.revoked = true;
      return [...table.keys()][0];
    },
  } as unknown as IdentityRepository;
  return { key, svc: new ApiKeysService(repo), lookups: () => lookups, gate, release: () => release?.() };
}

describe('ApiKeysService.verify', () => {
  it('answers a burst of requests with one key from a single lookup', async () => {
    const { key, svc, lookups } = setup();
    const all = await Promise.all(Array.from({ length: 32 }, () => svc.verify(key)));
    expect(all.every((r) => r?.id === 'k1')).toBe(true);
    expect(lookups()).toBe(1);
    await svc.verify(key);
    expect(lookups()).toBe(1);
  });

  it('refuses unknown keys and does not remember them as valid', async () => {
    const { svc, lookups } = setup();
    const other = newApiKey();
    expect(await svc.verify(other)).toBeNull();
    expect(await svc.verify(other)).toBeNull();
    expect(lookups()).toBe(2);
    expect(await svc.verify('not-a-key')).toBeNull();
  });

  it('a lookup that races a revocation does not cache the key', async () => {
    const { key, svc, gate, release } = setup();
    gate.hold = true;
    const racing = svc.verify(key);
    await new Promise((r) => setImmediate(r));
    await svc.revoke('k1');
    release();
    expect(await racing).toEqual({ id: 'k1', name: 'shop' }); // read before the revocation committed
    gate.hold = false;
    expect(await svc.verify(key)).toBeNull();
  });
});
