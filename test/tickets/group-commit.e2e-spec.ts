import { TicketsService } from '@keepdesk/tickets';
import { adminToken, bearer, closeDb, db, newAgent, newApiKey, newTeam, startApi, TestApi, uid } from '@keepdesk/testing';

/** Concurrent creations are written in shared transactions (libs/tickets/README.md, "Creation"). */
describe('ticket creation under concurrency (group commit)', () => {
  let api: TestApi;
  let admin: string;
  let key: string;
  let team: { id: string };
  let policyId: string;

  beforeAll(async () => {
    api = await startApi();
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
    team = await newTeam(api, admin);
    await newAgent(api, admin, { teamIds: [team.id], available: true });
    await newAgent(api, admin, { teamIds: [team.id], available: true });
    const policy = await api
      .http()
      .post('/api/sla-policies')
      .set(bearer(admin))
      .send({ name: uid('batch-policy'), position: 0, match: { teamIds: [team.id] }, targets: { firstResponseMinutes: 60, resolutionMinutes: 480 } });
    expect(policy.status).toBe(201);
    policyId = policy.body.id;
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  const post = (body: Record<string, unknown>) => api.http().post('/api/tickets').set(bearer(key)).send(body);

  it('60 concurrent creations each land whole — own number, first message, retention row, events, SLA timers — sharing transactions', async () => {
    const tag = uid('gc');
    const shared = `${tag}-shared@example.com`;
    const bodies = Array.from({ length: 60 }, (_, i) => ({
      subject: `${tag} #${i}`,
      body: `body ${i}`,
      // a third share one customer (also one address written twice in a batch), a third are the team's
      customer: { email: i % 3 === 0 ? shared.toUpperCase() : `${tag}-${i}@example.com`, name: `C${i}` },
      teamId: i % 3 === 1 ? team.id : undefined,
      tags: [tag, `n${i}`],
    }));
    const res = await Promise.all(bodies.map(post));
    expect(res.map((r) => r.status)).toEqual(bodies.map(() => 201));
    const tickets = res.map((r) => r.body);
    tickets.forEach((t, i) => expect(t).toMatchObject({ subject: bodies[i].subject, status: 'new', tags: [tag, `n${i}`] }));
    expect(new Set(tickets.map((t) => t.number)).size).toBe(60);

    // The team's tickets were assigned round-robin (both agents got some) and carry the policy's timers.
    const teamTickets = tickets.filter((_, i) => i % 3 === 1);
    expect(new Set(teamTickets.map((t) => t.assigneeId)).size).toBe(2);
    for (const t of teamTickets) expect(t.sla.map((s: { target: string }) => s.target).sort()).toEqual(['first_response', 'resolution']);

    const ids = tickets.map((t) => t.id);
    const q = (sql: string) => db().query(sql, [ids]).then((r) => r.rows);
    const [counts] = await q(
      `SELECT count(*)::int AS tickets, count(DISTINCT t.xmin::text)::int AS transactions,
              (SELECT count(*)::int FROM messages m WHERE m.ticket_id = ANY($1::uuid[]) AND m.kind = 'customer') AS messages,
              (SELECT count(*)::int FROM ticket_retention r WHERE r.ticket_id = ANY($1::uuid[])) AS retention,
              (SELECT count(*)::int FROM ticket_events e WHERE e.ticket_id = ANY($1::uuid[]) AND e.type = 'ticket.created') AS created,
              (SELECT count(*)::int FROM ticket_events e WHERE e.ticket_id = ANY($1::uuid[]) AND e.type = 'ticket.assigned') AS assigned,
              (SELECT count(*)::int FROM sla_timers s WHERE s.ticket_id = ANY($1::uuid[]) AND s.policy_id = '${policyId}') AS timers
       FROM tickets t WHERE t.id = ANY($1::uuid[])`,
    );
    expect(counts).toMatchObject({ tickets: 60, messages: 60, retention: 60, created: 60, assigned: 20, timers: 40 });
    // Group commit at work: fewer transactions than tickets.
    expect(counts.transactions).toBeLessThan(60);

    const sharedRows = await db().query(`SELECT id, name FROM customers WHERE email = $1`, [shared]);
    expect(sharedRows.rows).toHaveLength(1);
    expect(tickets.filter((_, i) => i % 3 === 0).every((t) => t.customerId === sharedRows.rows[0].id)).toBe(true);

    // Numbers follow arrival within a transaction, and each ticket's first event is its creation.
    const events = await q(`SELECT ticket_id, type FROM ticket_events WHERE ticket_id = ANY($1::uuid[]) ORDER BY id`);
    const firstOf = new Map<string, string>();
    for (const e of events) if (!firstOf.has(e.ticket_id)) firstOf.set(e.ticket_id, e.type);
    expect([...firstOf.values()].every((t) => t === 'ticket.created')).toBe(true);
  });

  it('a creation for an unknown team fails alone, naming the field, while the others written with it land', async () => {
    const tag = uid('gc-team');
    const unknownTeam = '00000000-0000-4000-8000-000000000000';
    const bodies = Array.from({ length: 12 }, (_, i) => ({
      subject: `${tag} #${i}`,
      body: 'hello',
      customer: { email: `${tag}-${i}@example.com` },
      teamId: i === 5 ? unknownTeam : i % 2 ? team.id : undefined,
    }));
    const res = await Promise.all(bodies.map(post));
    expect(res[5].status).toBe(400);
    expect(res[5].body.message).toContain('teamId');
    expect(res.filter((_, i) => i !== 5).map((r) => r.status)).toEqual(Array(11).fill(201));
    const { rows } = await db().query(`SELECT count(*)::int AS n FROM tickets WHERE subject LIKE $1`, [`${tag} #%`]);
    expect(rows[0].n).toBe(11);
  });

  it('a batch whose transaction fails is retried ticket by ticket: only the bad ticket fails', async () => {
    const tickets = api.app.get(TicketsService);
    const good = await post({ subject: 'owner', body: 'x', customer: { email: `${uid('gc-owner')}@example.com` } });
    const customerId = good.body.customerId as string;
    const tag = uid('gc-retry');
    // Submitted in one turn, so they share a batch; the unknown customer breaks its foreign key.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        tickets.createSystemTicket({
          subject: `${tag} #${i}`,
          body: 'follow-up',
          customerId: i === 3 ? '00000000-0000-4000-8000-000000000001' : customerId,
          teamId: null,
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const { rows } = await db().query(`SELECT subject FROM tickets WHERE subject LIKE $1 ORDER BY number`, [`${tag} #%`]);
    expect(rows.map((r) => r.subject)).toEqual([0, 1, 2, 4, 5, 6, 7].map((i) => `${tag} #${i}`));
  });
});
