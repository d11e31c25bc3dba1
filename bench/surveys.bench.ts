/**
 * npm run bench -- surveys [tickets=10000] [workers=1]
 * The raw baseline runs twice: in this process, beside the sink, and in a child process of its
 * own, as the worker is (measured: no slower, so where the sink runs is not what the gap is).
 * N tickets solved through the API (real API and worker processes from dist/, Postgres, Redis),
 * each owed a survey with no delay: prints the time until the SMTP sink (smtp-server, in this
 * process) has accepted all N mails and the mails/s, and beside it raw nodemailer (pooled, as
 * many connections as the workers use together) sending N mails of the same size to the same
 * sink, in the same run, and the ratio. Also checks every ticket got exactly one mail.
 */
import { spawn } from 'node:child_process';
import { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import { adminSession, request, scratchDatabase, startChild, appEnv } from './support';

const N = Number(process.argv[2] ?? 10000);
const WORKERS = Number(process.argv[3] ?? 1); // on 2 cores, one worker beside Postgres and Redis is faster than two
const CONNECTIONS_PER_WORKER = 10; // SurveyMailer's pool size
const TIME_LIMIT_MS = 6 * 60 * 1000;

async function startSink() {
  const perTicket = new Map<string, number>();
  let accepted = 0;
  let firstAt = 0;
  let lastAt = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    maxClients: 200,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const head = Buffer.concat(chunks).subarray(0, 4000).toString('utf8');
        const ticket = /^X-Keepdesk-Ticket:\s*(\S+)/im.exec(head)?.[1] ?? /^X-Bench:\s*(\S+)/im.exec(head)?.[1] ?? 'unknown';
        perTicket.set(ticket, (perTicket.get(ticket) ?? 0) + 1);
        accepted++;
        lastAt = Date.now();
        firstAt ||= lastAt;
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    port: (server.server.address() as AddressInfo).port,
    perTicket,
    accepted: () => accepted,
    span: () => ({ firstAt, lastAt }),
    reset: () => {
      perTicket.clear();
      accepted = 0;
      firstAt = 0;
      lastAt = 0;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function waitUntil(cond: () => boolean | Promise<boolean>, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** N mails through pooled nodemailer to 127.0.0.1:port; resolves with the time taken. */
async function rawSend(port: number, n: number, connections: number, tag: string): Promise<number> {
  const html = '<p>' + 'x'.repeat(2600) + '</p>';
  const text = 'y'.repeat(900);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: connections, maxMessages: Infinity });
  const r0 = Date.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      transport.sendMail({ from: 'support@keepdesk.localhost', to: `${tag}-${i}@example.com`, subject: `How did we do? Re: Order ${i}`, text, html, headers: { 'X-Bench': `${tag}-${i}` } }),
    ),
  );
  const ms = Date.now() - r0;
  transport.close();
  return ms;
}

/** The same, from a child process (this file with --raw-child), as the worker sends from its own. */
function rawSendInChild(port: number, n: number, connections: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--raw-child', String(port), String(n), String(connections)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(Number(/raw-ms (\d+)/.exec(out)?.[1])) : reject(new Error(`raw child exited ${code}`))));
  });
}

async function main() {
  const sink = await startSink();
  const db = await scratchDatabase('surveys');
  const env = appEnv(db.url, sink.url);
  const api = await startChild('api', env);
  const workers: Awaited<ReturnType<typeof startChild>>[] = [];
  const pool = new Pool({ connectionString: db.url, max: 8 });
  try {
    const { token } = await adminSession(api.url!, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    const auth = { authorization: `Bearer ${token}` };
    const team = (await request(`${api.url}/api/teams`, 'POST', { name: 'bench-team' }, auth)).body;
    const agent = (await request(`${api.url}/api/agents`, 'POST', { email: 'sam@bench.localhost', name: 'Sam', password: 'agent-password', role: 'agent', teamIds: [team.id] }, auth)).body;
    await request(`${api.url}/api/survey-settings`, 'PUT', { teamId: team.id, type: 'csat', delayMinutes: 0, reminderAfterHours: 0, suppressDays: 7 }, auth);

    // Tickets as the ticket lib would leave them (open, assigned): bulk SQL, not the subject here.
    await pool.query(
      `WITH c AS (INSERT INTO customers (email, name) SELECT 'bench-' || g || '@example.com', 'Customer ' || g FROM generate_series(1, $1) g RETURNING id, email)
       INSERT INTO tickets (subject, status, priority, channel, customer_id, team_id, assignee_id)
       SELECT 'Order ' || c.email || ' arrived damaged', 'open', 'normal', 'email', c.id, $2, $3 FROM c`,
      [N, team.id, agent.id],
    );
    const ids: string[] = (await pool.query(`SELECT id FROM tickets WHERE team_id = $1`, [team.id])).rows.map((r) => r.id);

    // Solve them all through the API (the hook owes the survey in the ticket's transaction and
    // queues its job). The workers start afterwards, so the sending is measured on its own.
    const s0 = Date.now();
    let next = 0;
    let solveErrors = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          const r = await request(`${api.url}/api/tickets/${id}`, 'PATCH', { status: 'solved' }, auth);
          if (r.status !== 200) solveErrors++;
        }
      }),
    );
    const solvedMs = Date.now() - s0;
    const owed = (await pool.query(`SELECT count(*)::int AS n FROM surveys WHERE state = 'scheduled'`)).rows[0].n;
    const t0 = Date.now();
    for (let i = 0; i < WORKERS; i++) workers.push(await startChild('worker', env));
    const done = await waitUntil(() => sink.accepted() >= ids.length, TIME_LIMIT_MS);
    const allMs = Date.now() - t0;
    const { firstAt, lastAt } = sink.span();
    const steadyRate = (sink.accepted() / Math.max(1, lastAt - firstAt)) * 1000;
    const twice = [...sink.perTicket.values()].filter((n) => n > 1).length;
    const ours = { accepted: sink.accepted(), ms: allMs, distinct: sink.perTicket.size, twice };

    // Raw nodemailer, same sink, same message size, same number of connections: in this process
    // (beside the sink), then from a child process of its own (as the worker).
    sink.reset();
    const rawMs = await rawSend(sink.port, N, WORKERS * CONNECTIONS_PER_WORKER, 'raw');
    sink.reset();
    const rawChildMs = await rawSendInChild(sink.port, N, WORKERS * CONNECTIONS_PER_WORKER);
    const rawChildOk = sink.accepted() === N;

    const oursRate = steadyRate;
    const rawRate = (N / rawMs) * 1000;
    const rawChildRate = (N / rawChildMs) * 1000;
    console.log(`\nsurveys: ${N} tickets solved via PATCH /api/tickets/:id (32 clients), survey delay 0, ${WORKERS} worker process(es), SMTP sink in the bench process (2-core machine)\n`);
    console.log('| what | mails | time | mails/s |');
    console.log('|---|---|---|---|');
    console.log(`| Keepdesk: first mail → sink accepted all${done ? '' : ' (TIME LIMIT HIT)'} | ${ours.accepted} | ${((lastAt - firstAt) / 1000).toFixed(1)} s | ${oursRate.toFixed(0)} |`);
    console.log(`| Keepdesk: workers started → sink accepted all (incl. ${WORKERS} worker boot(s)) | ${ours.accepted} | ${(ours.ms / 1000).toFixed(1)} s | ${((ours.accepted / ours.ms) * 1000).toFixed(0)} |`);
    console.log(`| raw nodemailer, pooled (${WORKERS * CONNECTIONS_PER_WORKER} connections), same sink, in the sink's process | ${N} | ${(rawMs / 1000).toFixed(1)} s | ${rawRate.toFixed(0)} |`);
    console.log(`| raw nodemailer, pooled (${WORKERS * CONNECTIONS_PER_WORKER} connections), same sink, in a process of its own${rawChildOk ? '' : ' (NOT ALL ACCEPTED)'} | ${N} | ${(rawChildMs / 1000).toFixed(1)} s | ${rawChildRate.toFixed(0)} |`);
    console.log(`\nratio Keepdesk/raw: ${(oursRate / rawRate).toFixed(2)} (raw beside the sink), ${(oursRate / rawChildRate).toFixed(2)} (raw in its own process)`);
    console.log(`surveys owed (scheduled) before the workers started: ${owed}`);
    console.log(`solving ${N} tickets took ${(solvedMs / 1000).toFixed(1)} s (${((N / solvedMs) * 1000).toFixed(0)} solves/s, ${solveErrors} errors)`);
    console.log(`exactly once: ${ours.distinct} tickets got a mail, ${ours.twice} got more than one`);
    console.log(`peak RSS: api ${api.peakRssMb()} MB, workers ${workers.map((w) => w.peakRssMb()).join(' / ')} MB`);
    if (!done || ours.twice || ours.distinct !== N || !rawChildOk) process.exitCode = 1;
  } finally {
    await pool.end();
    for (const w of workers) await w.kill();
    await api.kill();
    await sink.close();
    await db.drop();
  }
}

if (process.argv[2] === '--raw-child') {
  rawSend(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]), 'rawchild').then(
    (ms) => console.log(`raw-ms ${ms}`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
