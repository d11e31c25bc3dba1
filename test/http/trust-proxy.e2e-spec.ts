import { closeDb, startApi, TestApi } from '@keepdesk/testing';

/**
 * The client address behind the survey rate limit (120 page loads per address per minute) comes from
 * X-Forwarded-For only when TRUST_PROXY names the proxy; otherwise a client could pick a fresh address
 * per request and never be limited.
 */
describe('TRUST_PROXY', () => {
  const apis: TestApi[] = [];
  // A Redis prefix of its own: the first case spends 127.0.0.1's survey budget, which other suites' survey pages share.
  const own = { REDIS_PREFIX: `${process.env.REDIS_PREFIX}-trust-proxy` };
  afterAll(async () => {
    await Promise.all(apis.map((a) => a.close()));
    await closeDb();
  });

  /** 121 loads of a (forged) survey link, each claiming another client address. */
  async function loadsWithFreshAddresses(api: TestApi, net: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < 121; i++) {
      const r = await api.http().get('/s/not-a-real-token').set('X-Forwarded-For', `10.${net}.${i >> 8}.${i & 255}`);
      statuses.push(r.status);
    }
    return statuses;
  }

  it('unset: X-Forwarded-For is ignored, so the limit holds', async () => {
    const api = await startApi(own);
    apis.push(api);
    const statuses = await loadsWithFreshAddresses(api, 1);
    expect(statuses).toContain(429);
    expect(new Set(statuses)).toEqual(new Set([404, 429]));
  });

  it('naming the proxy: each forwarded client has its own budget', async () => {
    const api = await startApi({ ...own, TRUST_PROXY: '127.0.0.1' });
    apis.push(api);
    const statuses = await loadsWithFreshAddresses(api, 2);
    expect(new Set(statuses)).toEqual(new Set([404]));
  });
});
