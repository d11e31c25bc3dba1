import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisPresenceStore } from '@keepdesk/inbox';
import { testConfig } from '@keepdesk/testing';

/** The Redis presence store on its own: what survives (or not) an instance that dies without a goodbye. */
describe('presence leases in Redis', () => {
  const config = testConfig();
  const redis = new Redis(config.redisUrl!);
  afterAll(() => redis.quit());

  it('two instances, two tabs: one change reported per transition, and a dead instance drops out when its lease expires', async () => {
    const user = randomUUID();
    // Each instance's clock is ours to move: a loaded machine cannot make a lease lapse early.
    let nowA = Date.now();
    let nowB = nowA;
    const a = new RedisPresenceStore(redis, `${config.redisPrefix}:lease-test`, 30_000, () => nowA);
    const b = new RedisPresenceStore(redis, `${config.redisPrefix}:lease-test`, 30_000, () => nowB);
    expect(await a.set(user, 'A:1', 'online', ['t1'])).toEqual({ userId: user, status: 'online', teamIds: ['t1'] });
    expect(await b.set(user, 'B:1', 'away', ['t1'])).toBeNull(); // still online through A
    expect(await b.onlineAmong([user, randomUUID()])).toEqual(new Set([user]));
    // Instance A dies (no remove, no heartbeat); B keeps its lease alive, A's runs out.
    nowB += 20_000;
    await b.refresh([{ userId: user, conn: 'B:1' }]);
    expect(await b.sweep()).toEqual([]);
    nowB += 20_000;
    await b.refresh([{ userId: user, conn: 'B:1' }]);
    const changes = await b.sweep();
    expect(changes).toEqual([{ userId: user, status: 'away', teamIds: ['t1'] }]);
    nowA = nowB;
    expect((await a.statusOf([user])).get(user)).toBe('away');
    expect(await a.onlineAmong([user])).toEqual(new Set());
    expect(await b.remove(user, 'B:1')).toEqual({ userId: user, status: 'offline', teamIds: ['t1'] });
    expect(await a.sweep()).toEqual([]);
  });
});
