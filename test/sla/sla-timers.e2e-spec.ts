import { adminToken, bearer, closeDb, newAgent, newApiKey, newTicket, startApi, TestApi, waitFor } from '@keepdesk/testing';
import { breachCounts, OwnRedis, policyFor, slaEvents, spawnWorker, startRedis, timersOf, WorkerProcess } from './sla-support';

/**
 * SPEC "SLA" with the real worker (a child process) and a Redis of the suite's own. Targets are
 * fractions of a minute (0.05 = 3 s) so that deadlines come within the test.
 */
describe('SLA timers fire on time, once (SPEC "SLA")', () => {
  let redis: OwnRedis;
  let api: TestApi;
  let worker: WorkerProcess;
  let admin: string;
  let key: string;
  let supervisor: { token: string };
  const breachedTickets: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    [api, worker] = await Promise.all([
      startApi({ REDIS_URL: redis.url }),
      spawnWorker({ REDIS_URL: redis.url, SLA_RECONCILE_MS: '2000' }),
    ]);
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
    supervisor = await newAgent(api, admin, { role: 'supervisor' });
  });
  afterAll(async () => {
    await worker?.kill();
    await api?.close();
    await redis?.stop();
    await closeDb();
  });

  it('a breach fires within one second of its deadline, after the warning, as inbox events', async () => {
    const { tag } = await policyFor(api, admin, { targets: { firstResponseMinutes: 0.05 }, warnAtPercent: 50 });
    const t = await newTicket(api, key, { tags: [tag] });
    expect(t.sla).toEqual([expect.objectContaining({ target: 'first_response', state: 'active' })]);
    const dueAt = new Date(t.sla[0].dueAt).getTime();
    expect(dueAt - new Date(t.createdAt).getTime()).toBe(3000);

    const events = await waitFor(async () => {
      const e = await slaEvents(t.id);
      return e.some((x) => x.type === 'sla.breached') ? e : null;
    }, { timeout: 8000, what: 'sla.breached' });
    breachedTickets.push(t.id);
    expect(events.map((e) => e.type)).toEqual(['sla.warning', 'sla.breached']);
    const breach = events[1];
    const lateMs = new Date(breach.created_at).getTime() - dueAt;
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1000);
    const warnLateMs = new Date(events[0].created_at).getTime() - (dueAt - 1500);
    expect(warnLateMs).toBeGreaterThanOrEqual(0);
    expect(warnLateMs).toBeLessThan(1000);
    expect(breach.data).toMatchObject({ target: 'first_response', dueAt: new Date(dueAt).toISOString(), breachedAt: new Date(dueAt).toISOString() });

    const view = await api.http().get(`/api/tickets/${t.id}`).set(bearer(admin));
    expect(view.body.sla).toEqual([{ target: 'first_response', dueAt: new Date(dueAt).toISOString(), state: 'breached', breachedAt: new Date(dueAt).toISOString() }]);
    const list = await api.http().get(`/api/sla/breaches?ticketId=${t.id}`).set(bearer(supervisor.token));
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ ticketId: t.id, target: 'first_response', breachedAt: new Date(dueAt).toISOString() })]);
  });

  it('a ticket answered before its deadline is achieved and never breaches', async () => {
    const { tag } = await policyFor(api, admin, { targets: { firstResponseMinutes: 0.05 } });
    const [answered, control] = await Promise.all([newTicket(api, key, { tags: [tag] }), newTicket(api, key, { tags: [tag] })]);
    const reply = await api.http().post(`/api/tickets/${answered.id}/messages`).set(bearer(admin)).send({ body: 'On it', kind: 'reply' });
    expect(reply.status).toBe(201);
    const view = await api.http().get(`/api/tickets/${answered.id}`).set(bearer(admin));
    expect(view.body.sla).toEqual([expect.objectContaining({ target: 'first_response', state: 'achieved' })]);
    // The control ticket has the same deadline: once it has breached, the answered one would have too.
    await waitFor(async () => (await timersOf(control.id))[0]?.state === 'breached', { timeout: 8000, what: 'control breach' });
    breachedTickets.push(control.id);
    expect((await timersOf(answered.id)).map((x) => x.state)).toEqual(['achieved']);
    expect(await slaEvents(answered.id)).toEqual([]);
  });

  it('pause (pending) and resume move the deadline by the paused time; the breach follows the new deadline', async () => {
    const { tag } = await policyFor(api, admin, { targets: { resolutionMinutes: 0.05 } });
    const t = await newTicket(api, key, { tags: [tag] });
    const due0 = new Date(t.sla[0].dueAt).getTime();
    const paused = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'pending' });
    expect(paused.body.sla).toEqual([expect.objectContaining({ target: 'resolution', state: 'paused', dueAt: null })]);
    const pausedAt = new Date(paused.body.updatedAt).getTime();
    // Stay paused past the original deadline: nothing may fire meanwhile.
    await waitFor(() => Date.now() > due0 + 1000, { timeout: 10000, what: 'original deadline to pass' });
    expect((await timersOf(t.id))[0].state).toBe('paused');
    const resumed = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'open' });
    const resumedAt = new Date(resumed.body.updatedAt).getTime();
    const due1 = new Date(resumed.body.sla[0].dueAt).getTime();
    expect(resumed.body.sla[0].state).toBe('active');
    expect(due1 - due0).toBeGreaterThanOrEqual(resumedAt - pausedAt - 1);
    expect(due1 - due0).toBeLessThanOrEqual(resumedAt - pausedAt + 1);

    const events = await waitFor(async () => {
      const e = await slaEvents(t.id);
      return e.some((x) => x.type === 'sla.breached') ? e : null;
    }, { timeout: 12000, what: 'breach after resume' });
    breachedTickets.push(t.id);
    const breach = events.find((e) => e.type === 'sla.breached')!;
    expect(breach.data.dueAt).toBe(new Date(due1).toISOString());
    expect(new Date(breach.created_at).getTime() - due1).toBeLessThan(1000);
    expect(new Date(breach.created_at).getTime()).toBeGreaterThanOrEqual(due1);
  });

  it('next response starts with the customer message after the first, and the agent reply achieves it', async () => {
    const { tag } = await policyFor(api, admin, { targets: { firstResponseMinutes: 10, nextResponseMinutes: 10, resolutionMinutes: 60 } });
    const t = await newTicket(api, key, { tags: [tag] });
    expect(t.sla.map((s: { target: string }) => s.target).sort()).toEqual(['first_response', 'resolution']);
    await api.http().post(`/api/tickets/${t.id}/messages`).set(bearer(admin)).send({ body: 'Hello', kind: 'reply' }).expect(201);
    await api.http().post(`/api/tickets/${t.id}/customer-messages`).set(bearer(key)).send({ body: 'And?' }).expect(201);
    let view = (await api.http().get(`/api/tickets/${t.id}`).set(bearer(admin))).body;
    expect(view.sla.map((s: { target: string; state: string }) => `${s.target}:${s.state}`).sort()).toEqual(['first_response:achieved', 'next_response:active', 'resolution:active']);
    await api.http().post(`/api/tickets/${t.id}/messages`).set(bearer(admin)).send({ body: 'internal', kind: 'note' }).expect(201);
    view = (await api.http().get(`/api/tickets/${t.id}`).set(bearer(admin))).body;
    expect(view.sla.find((s: { target: string }) => s.target === 'next_response').state).toBe('active');
    await api.http().post(`/api/tickets/${t.id}/messages`).set(bearer(admin)).send({ body: 'Done', kind: 'reply' }).expect(201);
    const solved = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'solved' });
    expect(solved.body.sla.map((s: { target: string; state: string }) => `${s.target}:${s.state}`).sort()).toEqual(['first_response:achieved', 'next_response:achieved', 'resolution:achieved']);
  });

  it('a priority change re-matches the policy and recomputes the running timer', async () => {
    const tag = `sla-prio-${Date.now()}`;
    const post = (body: Record<string, unknown>) => api.http().post('/api/sla-policies').set(bearer(admin)).send(body).expect(201);
    await post({ name: `${tag}-urgent`, match: { tags: [tag], priorities: ['urgent'] }, targets: { resolutionMinutes: 30 } });
    await post({ name: `${tag}-rest`, match: { tags: [tag] }, targets: { resolutionMinutes: 120 } });
    const t = await newTicket(api, key, { tags: [tag], priority: 'normal' });
    const start = new Date(t.createdAt).getTime();
    expect(new Date(t.sla[0].dueAt).getTime() - start).toBe(120 * 60000);
    const up = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ priority: 'urgent' });
    expect(up.body.sla).toHaveLength(1);
    expect(new Date(up.body.sla[0].dueAt).getTime() - start).toBe(30 * 60000);
    expect((await timersOf(t.id))[0].version).toBe(2);
  });

  it('escalation on breach raises the priority', async () => {
    const { tag } = await policyFor(api, admin, { targets: { firstResponseMinutes: 0.02 }, escalation: { raisePriority: 'urgent' } });
    const t = await newTicket(api, key, { tags: [tag], priority: 'normal' });
    const escalated = await waitFor(async () => {
      const r = await api.http().get(`/api/tickets/${t.id}`).set(bearer(admin));
      return r.body.priority === 'urgent' && r.body;
    }, { timeout: 8000, what: 'escalation' });
    breachedTickets.push(t.id);
    expect(escalated.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['sla.breached', 'ticket.updated']));
    expect(escalated.events.find((e: { type: string; data: { reason?: string } }) => e.data.reason === 'sla_escalation').data.changes.priority).toEqual({ from: 'normal', to: 'urgent' });
  });

  it('every breach above was written once, even after reconcile runs', async () => {
    // Two reconcile periods later, nothing fired twice.
    const marker = Date.now();
    await waitFor(() => Date.now() > marker + 4500, { timeout: 6000, what: 'two reconcile periods' });
    const counts = await breachCounts(breachedTickets);
    expect(breachedTickets.map((id) => counts.get(id) ?? 0)).toEqual(breachedTickets.map(() => 1));
  });
});
