import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { adminToken, bearer, ChildApp, closeDb, db, newAgent, newApiKey, newTeam, spawnApp, startApi, TestApi, uid, waitFor } from '@keepdesk/testing';
import { Sink, SinkSession, startSink } from './smtp-sink';

/**
 * "Exactly once under faults" (issue 5), at the size: 2,000 solved tickets, two worker
 * processes, one SIGKILLed mid-way while it has SMTP transactions in DATA (checked through /proc
 * and the sink) and restarted, the SMTP server refusing 10% at random (sessions at connect;
 * deliveries at MAIL FROM or after end-of-data).
 *
 * No ticket may get two mails. Every ticket gets exactly one, with one exception that no SMTP
 * client can close (RFC 1047), identified from the sink's own record: the sink refused end-of-data
 * on a connection of the killed worker before the kill, and that connection was still open when
 * it died (the worker had not yet recorded the refusal). Its survey stays `sent`, accepted_at NULL
 * (at most once; see libs/surveys/README.md). Any other missing mail fails the test.
 * SURVEY_FAULT_TICKETS overrides the size. Needs the build (dist/): `npm run build`.
 */
const N = Number(process.env.SURVEY_FAULT_TICKETS) || 2000;

/** Local ports of the process's TCP connections to remotePort, from /proc (fd inodes ⋈ net/tcp). */
function connectionsTo(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9])) continue;
      if (parseInt(f[2].split(':').pop()!, 16) === remotePort) ports.add(parseInt(f[1].split(':').pop()!, 16));
    }
  }
  return ports;
}

describe('surveys: exactly once under faults', () => {
  let sink: Sink;
  let api: TestApi;
  const workers: ChildApp[] = [];

  const workerEnv = () => ({ SMTP_URL: sink.url, SURVEY_SEND_TIMEOUT_MS: '10000', SURVEY_SWEEP_MS: '1000', SURVEY_SEND_LEASE_SECONDS: '4', LOG_LEVEL: 'error' });

  beforeAll(async () => {
    sink = await startSink({ refuseRate: 0.1 });
    api = await startApi({ SMTP_URL: sink.url });
    workers.push(await spawnApp('worker', workerEnv()), await spawnApp('worker', workerEnv()));
  }, 120000);
  afterAll(async () => {
    for (const w of workers) await w.kill('SIGTERM');
    await api?.close();
    await sink?.close();
    await closeDb();
  });

  it(`${N} tickets solved, a worker SIGKILLed mid-DATA and restarted, 10% SMTP refusals: each ticket gets exactly one mail`, async () => {
    const admin = await adminToken(api);
    const key = await newApiKey(api, admin);
    const team = await newTeam(api, admin);
    const agent = await newAgent(api, admin, { teamIds: [team.id], available: true, capacity: N + 10 });
    await api.http().put('/api/survey-settings').set(bearer(admin)).send({ teamId: team.id, delayMinutes: 0.005, reminderAfterHours: 0, suppressDays: 0 });

    const ids: string[] = [];
    const pool = async <T>(items: T[], fn: (x: T) => Promise<void>, width = 16) => {
      let i = 0;
      await Promise.all(
        Array.from({ length: width }, async () => {
          while (i < items.length) await fn(items[i++]);
        }),
      );
    };
    await pool(
      Array.from({ length: N }, (_, i) => i),
      async () => {
        const r = await api.http().post('/api/tickets').set(bearer(key)).send({ subject: uid('order'), body: 'x', customer: { email: `${uid('fault')}@example.com` }, teamId: team.id });
        if (r.status !== 201) throw new Error(`ticket: ${r.status} ${JSON.stringify(r.body)}`);
        ids.push(r.body.id);
      },
    );
    const mine = new Set(ids);
    const distinct = () => new Set(sink.mails.filter((m) => m.ticketId && mine.has(m.ticketId)).map((m) => m.ticketId)).size;

    // Once a third went out, kill worker 0 at a moment it has a message in DATA (seen by the sink on
    // one of the victim's own connections, found through /proc), then bring it back.
    const victim = { pid: 0, ports: new Set<number>(), killedAt: 0, inDataAtKill: [] as SinkSession[], mailsAtKill: 0, restartMs: 0 };
    const killer = (async () => {
      await waitFor(() => distinct() >= N / 3, { timeout: 120000, interval: 5, what: 'a third of the mails' });
      victim.pid = workers[0].proc.pid!;
      const deadline = Date.now() + 20000;
      for (;;) {
        const ports = connectionsTo(victim.pid, sink.port);
        const inData = [...sink.sessions.values()].filter((s) => ports.has(s.remotePort) && s.dataAt !== undefined && s.dotAt === undefined && s.closedAt === undefined);
        if (inData.length || Date.now() > deadline) {
          victim.ports = ports;
          victim.inDataAtKill = inData.map((s) => ({ ...s }));
          break;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      victim.killedAt = Date.now();
      victim.mailsAtKill = distinct();
      await workers[0].kill('SIGKILL');
      workers[0] = await spawnApp('worker', workerEnv());
      victim.restartMs = Date.now() - victim.killedAt;
    })();
    await pool(ids, async (id) => {
      const r = await api.http().patch(`/api/tickets/${id}`).set(bearer(agent.token)).send({ status: 'solved' });
      if (r.status !== 200) throw new Error(`solve: ${r.status}`);
    });
    await killer;
    expect(victim.mailsAtKill).toBeLessThan(N);
    // The kill hit open SMTP transactions: the victim had connections to the sink, one of them in DATA.
    expect(victim.ports.size).toBeGreaterThan(0);
    expect(victim.inDataAtKill.length).toBeGreaterThan(0);

    // Done when every survey is recorded sent, and each the sink lacks was recorded before the kill
    // without acceptance (only those can be the exception; they are judged below).
    let progress = {};
    let notDone: string | null = null;
    await waitFor(
      async () => {
        const r = await db().query(`SELECT state, count(*)::int AS n FROM surveys WHERE ticket_id = ANY($1::uuid[]) GROUP BY state`, [ids]);
        progress = { mails: distinct(), states: r.rows };
        if ((r.rows.find((x) => x.state === 'sent')?.n ?? 0) !== N) return false;
        const got = new Set(sink.mails.map((m) => m.ticketId));
        const missing = ids.filter((id) => !got.has(id));
        if (!missing.length) return true;
        const doubt = await db().query(`SELECT count(*)::int AS n FROM surveys WHERE ticket_id = ANY($1::uuid[]) AND accepted_at IS NULL AND sent_at <= $2`, [missing, new Date(victim.killedAt)]);
        return doubt.rows[0].n === missing.length;
      },
      { timeout: 90000 + N * 30, interval: 200, what: `all ${N} surveys sent` },
    ).catch((e) => (notDone = `${(e as Error).message}; progress: ${JSON.stringify(progress)}`));
    const allSentMs = Date.now() - victim.killedAt;
    // Let the sweep run a few more times: nothing may be sent twice after the fact.
    await new Promise((r) => setTimeout(r, 2500));

    const perTicket = new Map<string, number>();
    for (const m of sink.mails) if (m.ticketId && mine.has(m.ticketId)) perTicket.set(m.ticketId, (perTicket.get(m.ticketId) ?? 0) + 1);
    // Never two.
    expect([...perTicket].filter(([, n]) => n > 1)).toEqual([]);

    // The sink's record of the victim's connections at the kill (the ports /proc showed just before
    // it). The sink's clock is no guide here (it runs in this busy process), but its order is: a
    // session's record is its last message. A victim connection still open at the kill whose last
    // message was refused after end-of-data: the victim may not have recorded that refusal (it lets
    // the connection go only after undoing its commit; if it had undone it, the survey was sent
    // again and is not missing). Only a missing mail of that kind is the exception.
    const victimSessions = [...sink.sessions.values()].filter((s) => victim.ports.has(s.remotePort));
    const refusedUnread = new Set(victimSessions.filter((s) => s.answer === 'refused' && s.ticketId).map((s) => s.ticketId!));
    const cutInData = victimSessions.filter((s) => s.abortedInData).map((s) => s.ticketId);
    const lost = ids.filter((id) => !perTicket.has(id));
    const rows = new Map(
      (await db().query(`SELECT ticket_id, state, accepted_at, sent_at FROM surveys WHERE ticket_id = ANY($1::uuid[])`, [lost])).rows.map((r) => [r.ticket_id as string, r]),
    );
    const explain = (id: string) => ({
      ticket: id,
      row: rows.get(id),
      sessions: [...sink.sessions.values()].filter((s) => s.ticketId === id).map((s) => ({ ...s, victim: victim.ports.has(s.remotePort) })),
      cutInDataByKill: cutInData.includes(id),
    });
    // Exactly one, except the refusal the victim never read: recorded sent, never confirmed.
    expect(lost.filter((id) => !refusedUnread.has(id)).map(explain)).toEqual([]);
    for (const id of lost) expect(rows.get(id)).toMatchObject({ state: 'sent', accepted_at: null });
    expect(notDone).toBeNull();
    expect(sink.refused).toBeGreaterThan(0);

    const stats = (
      await db().query(
        `SELECT count(*) FILTER (WHERE send_attempts > 1)::int AS retried, count(*) FILTER (WHERE accepted_at IS NULL)::int AS unconfirmed FROM surveys WHERE ticket_id = ANY($1::uuid[])`,
        [ids],
      )
    ).rows[0];
    process.stdout.write(
      `exactly-once: ${perTicket.size}/${N} tickets got exactly one mail, none got two; killed at ${victim.mailsAtKill}/${N} with ${victim.ports.size} SMTP connections, ` +
        `${victim.inDataAtKill.length} in DATA; restart ${victim.restartMs} ms, all sent ${allSentMs} ms after the kill; ${sink.refused} refusals, ` +
        `${stats.retried} surveys needed more than one attempt; at the kill: ${cutInData.length} cut off mid-DATA (sent again later), ` +
        `${stats.unconfirmed - lost.length} accepted but the answer unread (kept: delivered once), ` +
        `${refusedUnread.size} refused with the connection still open (${refusedUnread.size - lost.length} of them recorded in time and sent again); ` +
        `lost: ${lost.length}${lost.length ? ' (refused after end-of-data, unread at the kill)' : ''}\n`,
    );
  }, 300000 + N * 60);
});
