import { adminToken, bearer, closeDb, db, newAgent, newApiKey, newTeam, newTicket, startApi, TestApi, uid } from '@keepdesk/testing';

describe('ticket lifecycle (SPEC "Tickets")', () => {
  let api: TestApi;
  let admin: string;
  let key: string;
  let team: { id: string };
  let agent: { id: string; token: string };

  beforeAll(async () => {
    api = await startApi();
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
    team = await newTeam(api, admin);
    agent = await newAgent(api, admin, { teamIds: [team.id], available: true });
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  it('a ticket goes new → open (first reply) → pending → open (customer reply) → solved → closed, with timestamps and an audit trail', async () => {
    const t = await newTicket(api, key, { teamId: team.id, priority: 'high', tags: ['refund'] });
    expect(t).toMatchObject({ status: 'new', priority: 'high', channel: 'api', tags: ['refund'], teamId: team.id, assigneeId: agent.id });
    expect(typeof t.number).toBe('number');
    expect(Array.isArray(t.sla)).toBe(true);

    const reply = await api.http().post(`/api/tickets/${t.id}/messages`).set(bearer(agent.token)).send({ body: 'On its way', kind: 'reply' });
    expect(reply.status).toBe(201);
    expect(reply.body.ticket.status).toBe('open');
    expect(reply.body.ticket.firstResponseAt).toBeTruthy();

    const note = await api.http().post(`/api/tickets/${t.id}/messages`).set(bearer(agent.token)).send({ body: 'internal', kind: 'note' });
    expect(note.status).toBe(201);

    expect((await api.http().patch(`/api/tickets/${t.id}`).set(bearer(agent.token)).send({ status: 'pending' })).body.status).toBe('pending');
    const cust = await api.http().post(`/api/tickets/${t.id}/customer-messages`).set(bearer(key)).send({ body: 'still nothing' });
    expect(cust.status).toBe(201);
    expect(cust.body.ticket.status).toBe('open');

    const solved = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(agent.token)).send({ status: 'solved' });
    expect(solved.body.status).toBe('solved');
    expect(solved.body.solvedAt).toBeTruthy();
    const closed = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(agent.token)).send({ status: 'closed' });
    expect(closed.body).toMatchObject({ status: 'closed' });
    expect(closed.body.closedAt).toBeTruthy();

    const full = await api.http().get(`/api/tickets/${t.id}`).set(bearer(agent.token));
    expect(full.status).toBe(200);
    expect(full.body.messages.map((m: { kind: string }) => m.kind)).toEqual(['customer', 'reply', 'note', 'customer']);
    const types = full.body.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('ticket.created');
    expect(types).toContain('ticket.assigned');
    expect(types.filter((x: string) => x === 'ticket.updated').length).toBeGreaterThanOrEqual(4);
    const ids = full.body.events.map((e: { id: string }) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    // solved → a CSAT survey is scheduled (SPEC "Surveys"), not sent yet
    expect(full.body.survey).toMatchObject({ type: 'csat', score: null, answeredAt: null });
    expect(full.body.repurchases).toEqual([]);

    // closed is final: a customer reply opens a follow-up ticket linked to it
    const after = await api.http().post(`/api/tickets/${t.id}/customer-messages`).set(bearer(key)).send({ body: 'one more thing' });
    expect(after.status).toBe(201);
    expect(after.body.followUp).toBe(true);
    expect(after.body.ticketId).not.toBe(t.id);
    const followUp = await api.http().get(`/api/tickets/${after.body.ticketId}`).set(bearer(admin));
    expect(followUp.body).toMatchObject({ parentTicketId: t.id, status: 'new', customerId: t.customerId });
  });

  it('a reopen keeps the first resolution time and counts the reopen', async () => {
    const t = await newTicket(api, key, { teamId: team.id });
    const s1 = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'solved' });
    const reopened = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'open' });
    expect(reopened.body.reopenCount).toBe(1);
    const s2 = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'solved' });
    expect(s2.body.solvedAt).toBe(s1.body.solvedAt);
  });

  it('inbound email creates a ticket, threads the reply by In-Reply-To, and ignores a re-delivery', async () => {
    const sender = `${uid('mail')}@Example.com`;
    const first = await api.http().post('/api/inbound/email').set('X-Api-Key', key).send({ sender, subject: 'Broken zipper', text: 'It broke', messageId: `<${uid('m')}@mail.example>` });
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    const firstId = (await db().query(`SELECT email_message_id FROM messages WHERE ticket_id = $1`, [first.body.ticketId])).rows[0].email_message_id;
    const replyId = `<${uid('m')}@mail.example>`;
    const reply = await api.http().post('/api/inbound/email').set('X-Api-Key', key).send({ sender: sender.toLowerCase(), subject: 'Re: Broken zipper', text: 'Any news?', messageId: replyId, inReplyTo: firstId });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ticketId: first.body.ticketId, created: false, duplicate: false });
    const again = await api.http().post('/api/inbound/email').set('X-Api-Key', key).send({ sender, subject: 'Re: Broken zipper', text: 'Any news?', messageId: replyId, inReplyTo: firstId });
    expect(again.body).toMatchObject({ ticketId: first.body.ticketId, duplicate: true });
    const count = await db().query(`SELECT count(*)::int AS n FROM messages WHERE ticket_id = $1`, [first.body.ticketId]);
    expect(count.rows[0].n).toBe(2);
    const ticket = await api.http().get(`/api/tickets/${first.body.ticketId}`).set(bearer(admin));
    expect(ticket.body.channel).toBe('email');
  });

  it('the same mail delivered several times at once makes one ticket; the other deliveries are duplicates', async () => {
    const mail = { sender: `${uid('mail')}@example.com`, subject: 'Parcel lost', text: 'Where is it?', messageId: `<${uid('m')}@mail.example>` };
    const res = await Promise.all(Array.from({ length: 6 }, () => api.http().post('/api/inbound/email').set('X-Api-Key', key).send(mail)));
    expect(res.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(res.filter((r) => r.body.created)).toHaveLength(1);
    expect(new Set(res.map((r) => r.body.ticketId)).size).toBe(1);
    const n = await db().query(`SELECT count(*)::int AS n FROM messages WHERE email_message_id = $1`, [mail.messageId]);
    expect(n.rows[0].n).toBe(1);
  });

  it('round-robin takes turns among available agents of the team and respects capacity', async () => {
    const t = await newTeam(api, admin);
    const a = await newAgent(api, admin, { teamIds: [t.id], capacity: 1, available: true });
    const b = await newAgent(api, admin, { teamIds: [t.id], capacity: 1, available: true });
    await newAgent(api, admin, { teamIds: [t.id], capacity: 5, available: false }); // neither online nor available
    const made = await Promise.all([1, 2, 3].map(() => newTicket(api, key, { teamId: t.id })));
    const assignees = made.map((x) => x.assigneeId);
    expect(assignees.filter((x) => x === a.id)).toHaveLength(1);
    expect(assignees.filter((x) => x === b.id)).toHaveLength(1);
    expect(assignees.filter((x) => x === null)).toHaveLength(1);
    // solving frees capacity: the next ticket goes to the agent whose ticket was solved
    const ofA = made.find((x) => x.assigneeId === a.id);
    await api.http().patch(`/api/tickets/${ofA.id}`).set(bearer(admin)).send({ status: 'solved' });
    expect((await newTicket(api, key, { teamId: t.id })).assigneeId).toBe(a.id);
  });
});
