import { adminToken, bearer, ChildApp, closeDb, db, newAgent, newApiKey, newTeam, spawnApp, startApi, TestApi, uid, waitFor } from '@keepdesk/testing';
import { Sink, startSink } from './smtp-sink';

/**
 * "Exactly once under faults" (issue 5) at e2e scale: N solved tickets, two worker processes,
 * one SIGKILLed mid-way and restarted, the SMTP server refusing ~10% at random (at connect,
 * at MAIL FROM, or after end-of-data). No ticket may get two mails; every ticket gets exactly
 * one, except a survey the killed worker had committed in the instant before its end-of-data
 * reached the server — SMTP's unavoidable window, which this design makes "at most once" and
 * leaves visible (sent, accepted_at NULL); see libs/surveys/README.md.
 * SURVEY_FAULT_TICKETS=2000 runs the full size (opt-in; ~2–3 minutes).
 * Needs the build (dist/): `npm run build`.
 */
const N = Number(process.env.SURVEY_FAULT_TICKETS) || 200;

describe('surveys: exactly once under faults', () => {
  let sink: Sink;
  let api: TestApi;
  const workers: ChildApp[] = [];

  const workerEnv = () => ({ SMTP_URL: sink.url, SURVEY_SEND_LEASE_SECONDS: '4', SURVEY_SEND_TIMEOUT_MS: '10000', SURVEY_SWEEP_MS: '1000', LOG_LEVEL: 'error' });

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

  it(`${N} tickets solved, a worker killed with SIGKILL mid-way and restarted, 10% SMTP refusals: each ticket gets exactly one mail`, async () => {
    const admin = await adminToken(api);
    const key = await newApiKey(api, admin);
    const team = await newTeam(api, admin);
    const agent = await newAgent(api, admin, { teamIds: [team.id], available: true, capacity: N + 10 });
    await api.http().put('/api/survey-settings').set(bearer(admin)).send({ teamId: team.id, delayMinutes: 0.005, reminderAfterHours: 0, suppressDays: 0 });

    const ids: string[] = [];
    const pool = async <T>(items: T[], fn: (x: T) => Promise<void>, width = 16) => {
      let i = 0;
      await Promise.all(Array.from({ length: width }, async () => {
        while (i < items.length) await fn(items[i++]);
      }));
    };
    await pool(Array.from({ length: N }, (_, i) => i), async () => {
      const r = await api.http().post('/api/tickets').set(bearer(key)).send({ subject: uid('order'), body: 'x', customer: { email: `${uid('fault')}@example.com` }, teamId: team.id });
      if (r.status !== 201) throw new Error(`ticket: ${r.status} ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
    });
    const mine = new Set(ids);
    const distinct = () => new Set(sink.mails.filter((m) => m.ticketId && mine.has(m.ticketId)).map((m) => m.ticketId)).size;

    // Kill one worker while it is sending (watching from the moment the first solve goes in), then bring it back.
    let killedAt = 0;
    let restartedAt = 0;
    let killedWhen = 0;
    const killer = (async () => {
      await waitFor(() => distinct() >= N / 3, { timeout: 60000, interval: 5, what: 'a third of the mails' });
      killedWhen = distinct();
      killedAt = Date.now();
      await workers[0].kill('SIGKILL');
      workers[0] = await spawnApp('worker', workerEnv());
      restartedAt = Date.now();
    })();
    await pool(ids, async (id) => {
      const r = await api.http().patch(`/api/tickets/${id}`).set(bearer(agent.token)).send({ status: 'solved' });
      if (r.status !== 200) throw new Error(`solve: ${r.status}`);
    });
    await killer;
    expect(killedWhen).toBeLessThan(N);

    // Done when every survey is recorded sent and every one the sink lacks is one the killed worker
    // had committed but not seen acknowledged (accepted_at NULL, sent before the kill): SMTP's
    // unavoidable window, which this design turns into "at most once", never "twice".
    const unconfirmedBeforeKill = async () =>
      new Set(
        (
          await db().query(`SELECT ticket_id FROM surveys WHERE ticket_id = ANY($1::uuid[]) AND state = 'sent' AND accepted_at IS NULL AND sent_at <= $2`, [ids, new Date(killedAt)])
        ).rows.map((r) => r.ticket_id as string),
      );
    let progress = {};
    await waitFor(async () => {
      const r = await db().query(`SELECT state, count(*)::int AS n FROM surveys WHERE ticket_id = ANY($1::uuid[]) GROUP BY state`, [ids]);
      progress = { mails: distinct(), states: r.rows };
      const sent = r.rows.find((x) => x.state === 'sent')?.n ?? 0;
      if (sent !== N) return false;
      const got = new Set(sink.mails.map((m) => m.ticketId));
      const window = await unconfirmedBeforeKill();
      return ids.every((id) => got.has(id) || window.has(id));
    }, { timeout: 75000 + N * 60, interval: 200, what: `all ${N} surveys sent` }).catch((e) => {
      throw new Error(`${(e as Error).message}; progress: ${JSON.stringify(progress)}`);
    });
    process.stdout.write(`exactly-once: killed at ${killedWhen}/${N} mails; restart took ${restartedAt - killedAt} ms; all sent ${Date.now() - killedAt} ms after the kill; ${sink.refused} refusals; ${sink.aborted} messages cut off mid-DATA\n`);
    // Let the sweep run at least once more: nothing may be sent twice after the fact.
    await new Promise((r) => setTimeout(r, 1500));

    const perTicket = new Map<string, number>();
    for (const m of sink.mails) if (m.ticketId && mine.has(m.ticketId)) perTicket.set(m.ticketId, (perTicket.get(m.ticketId) ?? 0) + 1);
    // Never two.
    expect([...perTicket].filter(([, n]) => n > 1)).toEqual([]);
    // Exactly one, except a survey the killed worker had committed in the instant before end-of-data
    // reached the server: recorded (sent, accepted_at NULL, sent before the kill), so it is never resent.
    const window = await unconfirmedBeforeKill();
    const lost = ids.filter((id) => !perTicket.has(id));
    expect(lost.filter((id) => !window.has(id))).toEqual([]);
    expect(lost.length).toBeLessThanOrEqual(5);
    expect(sink.refused).toBeGreaterThan(0);
    const stats = (
      await db().query(`SELECT count(*) FILTER (WHERE send_attempts > 1)::int AS retried FROM surveys WHERE ticket_id = ANY($1::uuid[])`, [ids])
    ).rows[0];
    process.stdout.write(
      `exactly-once: ${perTicket.size}/${N} tickets got exactly one mail, none got two; ${stats.retried} surveys needed more than one attempt; ` +
        `${window.size} were in flight past the commit when the worker died (${lost.length} of them never reached the server)\n`,
    );
  }, 150000 + N * 150);
});
