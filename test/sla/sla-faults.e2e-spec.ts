import { adminToken, closeDb, db, newApiKey, newTicket, startApi, TestApi, waitFor } from '@keepdesk/testing';
import { breachCounts, OwnRedis, policyFor, spawnWorker, startRedis, WorkerProcess } from './sla-support';

/**
 * SPEC "SLA": a breach fires once, "even with API and worker restarted in between". The workers
 * are real child processes on a Redis of the suite's own (so FLUSHDB touches nobody else).
 */
describe('SLA breaches survive worker crashes, an emptied Redis and a second worker', () => {
  let redis: OwnRedis;
  let api: TestApi;
  let admin: string;
  let key: string;
  const workers: WorkerProcess[] = [];
  const env = () => ({ REDIS_URL: redis.url, SLA_RECONCILE_MS: '2000', ...(process.env.SLA_DEBUG ? { LOG_LEVEL: 'info' } : {}) });

  async function worker(): Promise<WorkerProcess> {
    const w = await spawnWorker(env());
    workers.push(w);
    return w;
  }

  async function ticketsDueIn(minutes: number, n: number): Promise<{ id: string; dueAt: number }[]> {
    const { tag } = await policyFor(api, admin, { targets: { firstResponseMinutes: minutes }, warnAtPercent: 50 });
    const created = await Promise.all(Array.from({ length: n }, () => newTicket(api, key, { tags: [tag] })));
    return created.map((t) => ({ id: t.id, dueAt: new Date(t.sla[0].dueAt).getTime() }));
  }

  async function breachesFired(tickets: { id: string }[]): Promise<{ ticket_id: string; created_at: Date; due: string }[]> {
    return (
      await db().query(
        `SELECT ticket_id, created_at, data->>'dueAt' AS due FROM ticket_events WHERE ticket_id = ANY($1::uuid[]) AND type = 'sla.breached'`,
        [tickets.map((t) => t.id)],
      )
    ).rows;
  }

  async function expectEachBreachedOnce(tickets: { id: string }[], timeout: number): Promise<void> {
    await waitFor(async () => (await breachesFired(tickets)).length >= tickets.length, { timeout, what: `${tickets.length} breaches` });
    const states = await db().query(`SELECT state, count(*)::int AS n FROM sla_timers WHERE ticket_id = ANY($1::uuid[]) GROUP BY state`, [tickets.map((t) => t.id)]);
    expect(states.rows).toEqual([{ state: 'breached', n: tickets.length }]);
  }

  beforeAll(async () => {
    redis = await startRedis();
    api = await startApi({ REDIS_URL: redis.url });
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
  });
  afterAll(async () => {
    if (process.env.SLA_DEBUG) for (const w of workers) console.log(w.output().slice(-4000));
    await Promise.all(workers.map((w) => w.kill()));
    await api?.close();
    await redis?.stop();
    await closeDb();
  });

  const all: { id: string }[] = [];

  it('two workers at once: every breach and warning fires once, on time', async () => {
    await Promise.all([worker(), worker()]);
    const tickets = await ticketsDueIn(0.05, 20);
    all.push(...tickets);
    await expectEachBreachedOnce(tickets, 8000);
    for (const b of await breachesFired(tickets)) expect(new Date(b.created_at).getTime() - new Date(b.due).getTime()).toBeLessThan(1000);
    const warnings = await db().query(`SELECT ticket_id FROM ticket_events WHERE ticket_id = ANY($1::uuid[]) AND type = 'sla.warning'`, [tickets.map((t) => t.id)]);
    expect(warnings.rows).toHaveLength(tickets.length);
    await workers.pop()!.kill();
  });

  it('Redis emptied (FLUSHDB) with timers pending: every breach still fires, once', async () => {
    const tickets = await ticketsDueIn(0.05, 10);
    all.push(...tickets);
    await redis.client.flushdb();
    expect(await redis.client.dbsize()).toBe(0);
    await expectEachBreachedOnce(tickets, 10000);
    // Rebuilt within about a second: still close to the deadline.
    for (const b of await breachesFired(tickets)) expect(new Date(b.created_at).getTime() - new Date(b.due).getTime()).toBeLessThan(2500);
  });

  it('kill -9 of the worker with timers pending, then a restart: every breach fires, once', async () => {
    const soon = await ticketsDueIn(0.03, 10); // due while the worker is dead
    const later = await ticketsDueIn(0.12, 5); // due after the restart: their queued jobs must still fire on time
    all.push(...soon, ...later);
    await workers.pop()!.kill('SIGKILL');
    const lastSoon = Math.max(...soon.map((t) => t.dueAt));
    await waitFor(() => Date.now() > lastSoon + 300, { timeout: 5000, what: 'the first deadlines to pass' });
    expect((await breachesFired(soon)).length).toBe(0);
    await worker();
    await expectEachBreachedOnce(soon, 8000);
    await expectEachBreachedOnce(later, 10000);
    for (const b of await breachesFired(later)) expect(new Date(b.created_at).getTime() - new Date(b.due).getTime()).toBeLessThan(1000);
  });

  it('after all of it, and two more reconcile periods, no breach was written twice', async () => {
    const marker = Date.now();
    await waitFor(() => Date.now() > marker + 4500, { timeout: 6000, what: 'two reconcile periods' });
    const counts = await breachCounts(all.map((t) => t.id));
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(counts.size).toBe(all.length);
  });
});
