import { adminToken, bearer, closeDb, db, newAgent, newApiKey, newTeam, newTicket, startApi, TestApi, uid } from '@keepdesk/testing';

/** SPEC "HTTP API" rows for SLA: policies, business hours, the deadline calculator, breaches, summary. */
describe('SLA API', () => {
  let api: TestApi;
  let admin: string;
  let key: string;
  let supervisor: string;
  let agent: string;

  beforeAll(async () => {
    api = await startApi();
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
    supervisor = (await newAgent(api, admin, { role: 'supervisor' })).token;
    agent = (await newAgent(api, admin)).token;
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  it('admins create, list (supervisors too) and patch policies; agents may not', async () => {
    const team = await newTeam(api, admin);
    const created = await api
      .http()
      .post('/api/sla-policies')
      .set(bearer(admin))
      .send({ name: uid('p'), match: { priorities: ['urgent'], teamIds: [team.id] }, targets: { firstResponseMinutes: 30, resolutionMinutes: 0.5 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ warnAtPercent: 80, businessHoursId: null, targets: { firstResponseMinutes: 30, nextResponseMinutes: null, resolutionMinutes: 0.5 } });
    expect((await api.http().post('/api/sla-policies').set(bearer(agent)).send({ name: 'x', targets: { firstResponseMinutes: 1 } })).status).toBe(403);
    const list = await api.http().get('/api/sla-policies').set(bearer(supervisor));
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(created.body.id);
    expect((await api.http().get('/api/sla-policies').set(bearer(agent))).status).toBe(403);
    const patched = await api.http().patch(`/api/sla-policies/${created.body.id}`).set(bearer(admin)).send({ targets: { nextResponseMinutes: 60 }, warnAtPercent: 50 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ warnAtPercent: 50, targets: { firstResponseMinutes: 30, nextResponseMinutes: 60, resolutionMinutes: 0.5 } });
  });

  it.each([
    [{ name: 'x', targets: {} }, 'targets'],
    [{ name: 'x', targets: { firstResponseMinutes: -1 } }, 'firstResponseMinutes'],
    [{ name: 'x', targets: { firstResponseMinutes: 'soon' } }, 'firstResponseMinutes'],
    [{ name: 'x', targets: { resolutionMinutes: 5 }, match: { priorities: ['asap'] } }, 'match.priorities'],
    [{ name: 'x', targets: { resolutionMinutes: 5 }, warnAtPercent: 150 }, 'warnAtPercent'],
    [{ name: 'x', targets: { resolutionMinutes: 5 }, businessHoursId: '00000000-0000-4000-8000-000000000000' }, 'businessHoursId'],
    [{ name: 'x', targets: { resolutionMinutes: 5 }, colour: 'red' }, 'colour'],
  ])('a bad policy %j is a 400 naming %s', async (body, field) => {
    const r = await api.http().post('/api/sla-policies').set(bearer(admin)).send(body);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.message)).toContain(field);
  });

  it('business hours answer deadlines in business time, across a weekend and a holiday', async () => {
    const r = await api
      .http()
      .post('/api/business-hours')
      .set(bearer(admin))
      .send({ name: uid('bh'), timezone: 'Europe/Berlin', weekly: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' })), holidays: ['2026-12-28'] });
    expect(r.status).toBe(201);
    // Friday 2026-12-25 16:00 Berlin (15:00Z) + 120 business minutes: 1 h Friday, Monday 28th is a holiday, 1 h Tuesday → 10:00 Berlin.
    const d = await api.http().get(`/api/business-hours/${r.body.id}/deadline?from=2026-12-25T15:00:00Z&minutes=120`).set(bearer(agent));
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ dueAt: '2026-12-29T09:00:00.000Z' });
    const bad = await api.http().get(`/api/business-hours/${r.body.id}/deadline?from=yesterday&minutes=5`).set(bearer(agent));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('from');
    expect((await api.http().get(`/api/business-hours/${r.body.id}/deadline?from=2026-12-25T15:00:00Z&minutes=x`).set(bearer(agent))).status).toBe(400);
    const zone = await api.http().post('/api/business-hours').set(bearer(admin)).send({ name: 'x', timezone: 'Mars/Olympus', weekly: [{ day: 1, open: '09:00', close: '17:00' }] });
    expect(zone.status).toBe(400);
    expect(zone.body.message).toContain('timezone');
    const day = await api.http().post('/api/business-hours').set(bearer(admin)).send({ name: 'x', timezone: 'UTC', weekly: [{ day: 8, open: '09:00', close: '17:00' }] });
    expect(day.status).toBe(400);
    expect(day.body.message).toContain('day');
  });

  it('a policy with business hours sets business-time deadlines on tickets', async () => {
    const bh = await api.http().post('/api/business-hours').set(bearer(admin)).send({ name: uid('bh'), timezone: 'UTC', weekly: [{ day: 1, open: '00:00', close: '00:00' }] });
    const tag = uid('bhp');
    await api.http().post('/api/sla-policies').set(bearer(admin)).send({ name: tag, match: { tags: [tag] }, targets: { resolutionMinutes: 60 }, businessHoursId: bh.body.id }).expect(201);
    const t = await newTicket(api, key, { tags: [tag] });
    const expected = await api.http().get(`/api/business-hours/${bh.body.id}/deadline?from=${new Date(t.createdAt).toISOString()}&minutes=60`).set(bearer(admin));
    expect(t.sla).toEqual([expect.objectContaining({ target: 'resolution', state: 'active', dueAt: expected.body.dueAt })]);
  });

  it('breaches list with filters and cursor pagination; summary gives achievement % per target by team, priority and agent', async () => {
    const team = await newTeam(api, admin);
    const tag = uid('rep');
    const policy = await api.http().post('/api/sla-policies').set(bearer(admin)).send({ name: tag, match: { tags: [tag] }, targets: { firstResponseMinutes: 60 } });
    const tickets = await Promise.all(Array.from({ length: 5 }, () => newTicket(api, key, { tags: [tag], teamId: team.id, priority: 'high' })));
    // Three breached (written as the worker would), two achieved by a reply.
    const base = Date.parse('2026-03-01T10:00:00Z');
    for (const [i, t] of tickets.slice(0, 3).entries()) {
      await db().query(`UPDATE sla_timers SET state = 'breached', breached_at = $2, due_at = $2, version = version + 1 WHERE ticket_id = $1`, [t.id, new Date(base + i * 60000)]);
    }
    for (const t of tickets.slice(3)) await api.http().post(`/api/tickets/${t.id}/messages`).set(bearer(admin)).send({ body: 'hi', kind: 'reply' }).expect(201);
    await db().query(`UPDATE sla_timers SET achieved_at = $2 WHERE ticket_id = ANY($1::uuid[]) AND state = 'achieved'`, [tickets.slice(3).map((t) => t.id), new Date(base)]);

    const page1 = await api.http().get(`/api/sla/breaches?teamId=${team.id}&limit=2`).set(bearer(supervisor));
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((b: { ticketId: string }) => b.ticketId)).toEqual([tickets[2].id, tickets[1].id]);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await api.http().get(`/api/sla/breaches?teamId=${team.id}&limit=2&cursor=${page1.body.nextCursor}`).set(bearer(supervisor));
    expect(page2.body.items.map((b: { ticketId: string }) => b.ticketId)).toEqual([tickets[0].id]);
    expect(page2.body.nextCursor).toBeNull();
    expect(page1.body.items[0]).toMatchObject({ target: 'first_response', priority: 'high', teamId: team.id, policyId: policy.body.id });
    const ranged = await api.http().get(`/api/sla/breaches?teamId=${team.id}&from=2026-03-01T10:01:00Z&to=2026-03-01T10:02:00Z`).set(bearer(supervisor));
    expect(ranged.body.items.map((b: { ticketId: string }) => b.ticketId)).toEqual([tickets[1].id]);
    expect((await api.http().get('/api/sla/breaches?cursor=***').set(bearer(supervisor))).status).toBe(400);
    expect((await api.http().get('/api/sla/breaches?target=lunch').set(bearer(supervisor))).status).toBe(400);

    const s = await api.http().get(`/api/sla/summary?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&teamId=${team.id}`).set(bearer(supervisor));
    expect(s.status).toBe(200);
    expect(s.body.overall).toEqual([{ target: 'first_response', achieved: 2, breached: 3, achievementPercent: 40 }]);
    expect(s.body.byTeam).toEqual([{ teamId: team.id, target: 'first_response', achieved: 2, breached: 3, achievementPercent: 40 }]);
    expect(s.body.byPriority).toEqual([{ priority: 'high', target: 'first_response', achieved: 2, breached: 3, achievementPercent: 40 }]);
    expect(Array.isArray(s.body.byAgent)).toBe(true);
    expect((await api.http().get('/api/sla/summary?groupBy=colour').set(bearer(supervisor))).status).toBe(400);
    expect((await api.http().get('/api/sla/summary').set(bearer(agent))).status).toBe(403);
  });
});
