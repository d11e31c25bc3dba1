import { adminToken, bearer, closeDb, db, newAgent, newApiKey, newTeam, newTicket, startApi, TestAgent, TestApi } from '@keepdesk/testing';
import { NewTicketEvent, TicketEventsService } from '@keepdesk/tickets';
import { DataSource, QueryRunner } from 'typeorm';
import { Envelope, InboxClient } from './inbox-client';

const ids = (es: Envelope[]) => es.map((e) => e.id);
const increasing = (es: Envelope[]) => es.every((e, i) => i === 0 || BigInt(e.id) > BigInt(es[i - 1].id));

/**
 * An open transaction on one of an API instance's own connections that writes an event through
 * the app's event log, commits (or rolls back) when told, and publishes after commit like domain
 * code does: what the feed reader's fast path and the other instance's wake hint see.
 */
async function openWriter(api: TestApi, event: NewTicketEvent) {
  const log = api.app.get(TicketEventsService);
  const qr: QueryRunner = api.app.get(DataSource).createQueryRunner('master');
  await qr.connect();
  await qr.startTransaction();
  const [written] = await log.appendIn(qr.manager, [event]);
  return {
    id: written.id,
    commit: async () => {
      await qr.commitTransaction();
      await qr.release();
      await log.publish([written]);
    },
    rollback: async () => {
      await qr.rollbackTransaction();
      await qr.release();
    },
    release: () => (qr.isReleased ? undefined : qr.release()),
  };
}

/** Runs fns with at most n in flight, so commits overlap (and can land out of id order). */
async function concurrently<T>(n: number, fns: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < fns.length) {
        const i = next++;
        out[i] = await fns[i]();
      }
    }),
  );
  return out;
}

describe('live inbox (SPEC "Live inbox") across two API instances', () => {
  let a: TestApi;
  let b: TestApi;
  let admin: string;
  let key: string;
  const clients: InboxClient[] = [];
  const connect = async (api: TestApi, auth: Record<string, unknown>) => {
    const c = await InboxClient.connect(api.url, auth);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startApi(), startApi()]);
    admin = await adminToken(a);
    key = await newApiKey(a, admin);
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all([a?.close(), b?.close()]);
    await closeDb();
  });

  it('refuses a handshake without a token, with a bad token, or with a malformed lastEventId, saying why', async () => {
    const none = await InboxClient.refusal(a.url, {});
    expect(none.message).toMatch(/No token/);
    expect(none.data?.code).toBe('unauthorized');
    const bad = await InboxClient.refusal(a.url, { token: 'not-a-jwt' });
    expect(bad.message).toMatch(/invalid or expired/);
    const agent = await newAgent(a, admin);
    const badId = await InboxClient.refusal(a.url, { token: agent.token, lastEventId: 'abc' });
    expect(badId.message).toMatch(/lastEventId/);
  });

  it('a ticket created through instance A reaches an agent of its team on instance B; an agent of another team gets nothing of it', async () => {
    const [teamX, teamY] = await Promise.all([newTeam(a, admin), newTeam(a, admin)]);
    const [x, y, sup] = await Promise.all([
      newAgent(a, admin, { teamIds: [teamX.id] }),
      newAgent(a, admin, { teamIds: [teamY.id] }),
      newAgent(a, admin, { role: 'supervisor' }),
    ]);
    const onB = await connect(b, { token: x.token });
    const other = await connect(a, { token: y.token });
    const supervisor = await connect(b, { token: sup.token });

    const t = await newTicket(a, key, { teamId: teamX.id });
    const got = await onB.waitFor((e) => e.type === 'ticket.created' && e.ticketId === t.id, 'ticket.created on B');
    expect(Object.keys(got).sort()).toEqual(['at', 'data', 'id', 'ticketId', 'type']);
    expect(got.id).toMatch(/^\d+$/);
    expect(new Date(got.at).toString()).not.toBe('Invalid Date');
    expect(got.data.ticket).toMatchObject({ id: t.id, teamId: teamX.id });
    await supervisor.waitFor((e) => e.ticketId === t.id, 'supervisor sees team X ticket');

    // The feed is delivered in id order: once Y's own later ticket arrived, X's would have too.
    const ty = await newTicket(b, key, { teamId: teamY.id });
    await other.waitFor((e) => e.ticketId === ty.id, 'team Y ticket on A');
    expect(other.events.filter((e) => e.ticketId === t.id)).toEqual([]);
    expect(onB.events.filter((e) => e.ticketId === ty.id)).toEqual([]);
    await supervisor.waitFor((e) => e.ticketId === ty.id, 'supervisor sees team Y ticket');
  });

  it('reassigning a ticket to another team moves its future events there', async () => {
    const [teamX, teamY] = await Promise.all([newTeam(a, admin), newTeam(a, admin)]);
    const [x, y, sup] = await Promise.all([newAgent(a, admin, { teamIds: [teamX.id] }), newAgent(a, admin, { teamIds: [teamY.id] }), newAgent(a, admin, { role: 'supervisor' })]);
    const cx = await connect(a, { token: x.token });
    const cy = await connect(b, { token: y.token });
    const t = await newTicket(a, key, { teamId: teamX.id });
    await cx.waitFor((e) => e.ticketId === t.id, 'created in X');
    // x got it round-robin; moved without an assignee, it is no longer x's either.
    expect((await a.http().patch(`/api/tickets/${t.id}`).set(bearer(sup.token)).send({ teamId: teamY.id, assigneeId: null })).status).toBe(200);
    // The move itself reaches both teams; the next change only the new one.
    await cx.waitFor((e) => e.ticketId === t.id && e.type === 'ticket.updated', 'move seen by old team');
    await cy.waitFor((e) => e.ticketId === t.id && e.type === 'ticket.updated', 'move seen by new team');
    expect((await a.http().patch(`/api/tickets/${t.id}`).set(bearer(sup.token)).send({ priority: 'urgent' })).status).toBe(200);
    await cy.waitFor((e) => e.ticketId === t.id && e.type === 'ticket.updated' && !!e.data.changes?.priority, 'priority change in Y');
    const marker = await newTicket(a, key, { teamId: teamX.id });
    await cx.waitFor((e) => e.ticketId === marker.id, 'later X ticket');
    expect(cx.events.filter((e) => e.ticketId === t.id && e.data.changes?.priority)).toEqual([]);
  });

  it('a client disconnected while 50 events happen gets exactly those 50 on reconnect, in order, then live events, no duplicates', async () => {
    const team = await newTeam(a, admin);
    const [agent, sup] = await Promise.all([newAgent(a, admin, { teamIds: [team.id] }), newAgent(a, admin, { role: 'supervisor' })]);
    const watch = await connect(b, { token: sup.token });
    const first = await connect(a, { token: agent.token });
    const t0 = await newTicket(a, key, { teamId: team.id });
    // t0 is assigned round-robin to the (online) agent: created + assigned.
    const seen = await first.waitFor((e) => e.ticketId === t0.id && e.type === 'ticket.assigned', 'first ticket assigned');
    first.close();
    // Offline, so the next tickets stay unassigned: exactly one event each.
    await watch.waitFor((e) => e.type === 'presence.updated' && e.data.userId === agent.id && e.data.status === 'offline', 'agent offline');

    // 50 tickets, 10 at a time through both instances: commits overlap, so ids commit out of order.
    const missed = await concurrently(10, Array.from({ length: 50 }, (_, i) => () => newTicket(i % 2 ? a : b, key, { teamId: team.id })));
    const again = await connect(b, { token: agent.token, lastEventId: seen.id });
    const replayed = again.events.slice(0, again.readyAt);
    expect(replayed.map((e) => e.type)).toEqual(Array(50).fill('ticket.created'));
    expect(new Set(replayed.map((e) => e.ticketId))).toEqual(new Set(missed.map((t) => t.id)));
    expect(increasing(replayed)).toBe(true);
    expect(BigInt(replayed[0].id)).toBeGreaterThan(BigInt(seen.id));

    // Then live: more overlapping writes; the whole stream equals the log for this team, once each, in order.
    const live = await concurrently(5, Array.from({ length: 10 }, () => () => newTicket(a, key, { teamId: team.id })));
    await again.waitUntil(() => live.every((t) => again.events.some((e) => e.ticketId === t.id)), 'live tickets');
    const log = await db().query(`SELECT e.id::text AS id FROM ticket_events e WHERE e.team_id = $1 AND e.id > $2 ORDER BY e.id`, [team.id, seen.id]);
    expect(ids(again.durable())).toEqual(log.rows.map((r: { id: string }) => r.id));
  });

  it('holds back an event whose smaller-id neighbour has not committed yet, and emits nothing for a write that rolled back', async () => {
    const team = await newTeam(a, admin);
    const agent = await newAgent(a, admin, { teamIds: [team.id] });
    const c = await connect(b, { token: agent.token });
    const slow = await db().connect();
    const rolledBack = await db().connect();
    try {
      await slow.query('BEGIN');
      const early = await slow.query(
        `INSERT INTO ticket_events (ticket_id, type, actor_type, data, team_id) VALUES (NULL, 'ticket.updated', 'system', '{"marker":"slow"}', $1) RETURNING id::text`,
        [team.id],
      );
      await rolledBack.query('BEGIN');
      await rolledBack.query(`INSERT INTO ticket_events (ticket_id, type, actor_type, data, team_id) VALUES (NULL, 'ticket.updated', 'system', '{"marker":"rolled-back"}', $1)`, [team.id]);
      await rolledBack.query('ROLLBACK');

      const later = await newTicket(a, key, { teamId: team.id });
      expect(BigInt((await db().query(`SELECT max(id)::text AS id FROM ticket_events WHERE ticket_id = $1`, [later.id])).rows[0].id)).toBeGreaterThan(BigInt(early.rows[0].id));
      // The later ticket is committed but must wait for the smaller id still in flight: the order
      // below would be [created, assigned, slow] if it went out at its own commit.
      await slow.query('COMMIT');
      await c.waitFor((e) => e.ticketId === later.id, 'later ticket after the slow commit');
      // The agent is online, so round-robin also assigns it: created + assigned.
      await c.waitFor((e) => e.ticketId === later.id && e.type === 'ticket.assigned', 'assigned');
      expect(c.durable().map((e) => e.data.marker ?? e.type)).toEqual(['slow', 'ticket.created', 'ticket.assigned']);
      expect(c.durable()[0].id).toBe(early.rows[0].id);
      expect(increasing(c.durable())).toBe(true);
    } finally {
      await slow.query('ROLLBACK').catch(() => undefined);
      slow.release();
      rolledBack.release();
    }
  });

  describe('out-of-order commits (the gap guard of the feed reader)', () => {
    const marked = (teamId: string, marker: string): NewTicketEvent => ({ ticketId: null, type: 'ticket.updated', actorType: 'system', data: { marker }, teamId, assigneeId: null });

    it('an event committed before its smaller-id neighbour waits for it, on the committing instance and on the other; a rolled-back id in between is skipped', async () => {
      const team = await newTeam(a, admin);
      const agent = await newAgent(a, admin, { teamIds: [team.id] });
      const onA = await connect(a, { token: agent.token });
      const onB = await connect(b, { token: agent.token });
      const first = await openWriter(a, marked(team.id, 'first'));
      const middle = await openWriter(b, marked(team.id, 'rolled-back'));
      const second = await openWriter(a, marked(team.id, 'second'));
      try {
        expect([first.id, middle.id, second.id].map(BigInt)).toEqual([BigInt(first.id), BigInt(first.id) + 1n, BigInt(first.id) + 2n]);
        // Committed and published on A while `first` (a smaller id, another connection) is open:
        // A's reader has it in hand, B gets a hint with its id. Neither may send it yet, nor after
        // the rollback of the id between them.
        await second.commit();
        await middle.rollback();
        // A negative check: a whole poll period (with its in-flight probe) goes by.
        await new Promise((r) => setTimeout(r, 800));
        expect([...onA.durable(), ...onB.durable()]).toEqual([]);

        await first.commit();
        for (const c of [onA, onB]) {
          await c.waitUntil(() => c.durable().length >= 2, 'both events');
          expect(c.durable().map((e) => [e.id, e.data.marker])).toEqual([
            [first.id, 'first'],
            [second.id, 'second'],
          ]);
        }
      } finally {
        await Promise.all([first, middle, second].map((w) => w.release()));
      }
    });

    it('writers on both instances committing in shuffled order: every socket gets exactly the log, in id order, once', async () => {
      const team = await newTeam(a, admin);
      const [x, sup] = await Promise.all([newAgent(a, admin, { teamIds: [team.id] }), newAgent(a, admin, { role: 'supervisor' })]);
      const onA = await connect(a, { token: x.token });
      const onB = await connect(b, { token: x.token });
      const supB = await connect(b, { token: sup.token });
      const first = (await db().query(`SELECT last_value::text AS v FROM ticket_events_id_seq`)).rows[0].v as string;
      for (let round = 0; round < 4; round++) {
        // 8 open transactions (4 per instance), ids allocated in one order, committed in another.
        const writers = [];
        for (let i = 0; i < 8; i++) writers.push(await openWriter(i % 2 ? a : b, marked(team.id, `r${round}-${i}`)));
        const order = writers.map((w, i) => ({ w, k: (i * 5 + round * 3) % 8 })).sort((p, q) => p.k - q.k);
        try {
          await Promise.all(
            order.map(({ w }, n) =>
              new Promise((r) => setTimeout(r, n * 3)).then(() => (n % 5 === 4 ? w.rollback() : w.commit())),
            ),
          );
        } finally {
          await Promise.all(writers.map((w) => w.release()));
        }
      }
      const log = (await db().query(`SELECT id::text AS id FROM ticket_events WHERE team_id = $1 AND id > $2 ORDER BY ticket_events.id`, [team.id, first])).rows.map((r: { id: string }) => r.id);
      expect(log).toHaveLength(4 * 8 - 4);
      for (const c of [onA, onB]) {
        await c.waitUntil(() => c.durable().length >= log.length, 'every committed event');
        expect(ids(c.durable())).toEqual(log);
      }
      await supB.waitUntil(() => log.every((id) => supB.events.some((e) => e.id === id)), 'supervisor sees them');
      expect(increasing(supB.durable())).toBe(true);
      expect(ids(supB.durable()).filter((id) => log.includes(id))).toEqual(log);
    });
  });

  it('reconnecting while events keep coming: replay up to the moving position, then live, no gap and no duplicate at the seam', async () => {
    const team = await newTeam(a, admin);
    const x = await newAgent(a, admin, { teamIds: [team.id], available: false });
    const from = (await db().query(`SELECT last_value::text AS v FROM ticket_events_id_seq`)).rows[0].v as string;
    // 40 tickets, 6 at a time through both instances; three reconnects land in the middle of it.
    const writes = concurrently(6, Array.from({ length: 40 }, (_, i) => () => newTicket(i % 2 ? a : b, key, { teamId: team.id })));
    const joined: InboxClient[] = [];
    for (const api of [a, b, a]) {
      await new Promise((r) => setTimeout(r, 60));
      joined.push(await connect(api, { token: x.token, lastEventId: from }));
    }
    await writes;
    const log = (await db().query(`SELECT id::text AS id FROM ticket_events WHERE team_id = $1 AND id > $2 ORDER BY ticket_events.id`, [team.id, from])).rows.map((r: { id: string }) => r.id);
    expect(log.length).toBeGreaterThanOrEqual(40);
    for (const c of joined) {
      await c.waitUntil(() => c.durable().length >= log.length, 'the whole stream');
      expect(ids(c.durable())).toEqual(log);
    }
  });

  describe('presence and collision detection', () => {
    let team: { id: string };
    let x1: TestAgent;
    let x2: TestAgent;
    let sup: TestAgent;
    beforeAll(async () => {
      team = await newTeam(a, admin);
      [x1, x2, sup] = await Promise.all([
        newAgent(a, admin, { teamIds: [team.id], available: false }),
        newAgent(a, admin, { teamIds: [team.id], available: false }),
        newAgent(a, admin, { role: 'supervisor' }),
      ]);
    });

    it('is online with any tab on any instance, away when every tab is away, offline when the last socket drops; round-robin follows it', async () => {
      const watch = await connect(b, { token: sup.token });
      const status = (uid: string) => watch.events.filter((e) => e.type === 'presence.updated' && e.data.userId === uid).map((e) => e.data.status);
      const tab1 = await connect(a, { token: x1.token });
      await watch.waitUntil(() => status(x1.id).join() === 'online', 'x1 online');
      const tab2 = await connect(b, { token: x1.token });
      tab1.close();
      expect((await tab2.emit('presence.set', { status: 'away' })).ok).toBe(true);
      await watch.waitUntil(() => status(x1.id).join() === 'online,away', 'x1 away (tab 1 gone, tab 2 away)');

      // Round-robin skips agents who are not online (x1 away, x2 offline, neither "available").
      const none = await newTicket(a, key, { teamId: team.id });
      expect(none.assigneeId).toBeNull();
      expect((await tab2.emit('presence.set', { status: 'online' })).ok).toBe(true);
      await watch.waitUntil(() => status(x1.id).join() === 'online,away,online', 'x1 back online');
      const assigned = await newTicket(b, key, { teamId: team.id });
      expect(assigned.assigneeId).toBe(x1.id);

      tab2.close();
      await watch.waitUntil(() => status(x1.id).join() === 'online,away,online,offline', 'x1 offline');
      expect((await newTicket(a, key, { teamId: team.id })).assigneeId).toBeNull();
    });

    it('ticket.view / ticket.typing show who else is on a ticket, cleared on leave and when a socket drops', async () => {
      const t = await newTicket(a, key, { teamId: team.id });
      const c1 = await connect(a, { token: x1.token });
      const c2 = await connect(b, { token: x2.token });
      const outsider = await connect(a, { token: (await newAgent(a, admin, { teamIds: [(await newTeam(a, admin)).id] })).token });
      expect(await outsider.emit('ticket.view', { ticketId: t.id })).toMatchObject({ ok: false, error: expect.stringMatching(/ticketId/) });
      expect(await c1.emit('ticket.view', { ticketId: 'nope' })).toMatchObject({ ok: false, error: expect.stringMatching(/ticketId/) });

      const isViewing = (e: Envelope) => e.type === 'ticket.viewing' && e.ticketId === t.id;
      const latest = (c: InboxClient) => [...c.events].reverse().find(isViewing)?.data.viewers as { userId: string; typing: boolean }[] | undefined;
      expect((await c1.emit('ticket.view', { ticketId: t.id })).ok).toBe(true);
      expect((await c2.emit('ticket.view', { ticketId: t.id })).viewers.map((v: { userId: string }) => v.userId).sort()).toEqual([x1.id, x2.id].sort());
      await c1.waitUntil(() => latest(c1)?.length === 2 && latest(c1), 'x1 sees x2 arrive');

      await c1.emit('ticket.typing', { ticketId: t.id });
      await c2.waitUntil(() => latest(c2)?.find((v) => v.userId === x1.id && v.typing), 'x2 sees x1 typing');

      await c2.emit('ticket.leave', { ticketId: t.id });
      await c1.waitUntil(() => latest(c1)?.length === 1 && latest(c1), 'x2 left');
      await c2.emit('ticket.view', { ticketId: t.id });
      await c1.waitUntil(() => latest(c1)?.length === 2 && latest(c1), 'x2 back');

      c1.close();
      await c2.waitUntil(() => latest(c2)?.map((v) => v.userId).join() === x2.id && latest(c2), 'x1 gone when its socket dropped');
      expect((await c2.emit('ticket.view', { ticketId: t.id })).viewers.map((v: { userId: string }) => v.userId)).toEqual([x2.id]);
    });
  });
});
