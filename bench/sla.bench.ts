/**
 * npm run bench -- sla [timers=100000] [windowSeconds=90]
 *
 * N active SLA timers due at random instants over a window that starts ~20 s out, inserted with SQL
 * in bulk, queued through the SLA scheduler (deterministic job ids) and fired by a real worker
 * process (dist/, Postgres, Redis). Prints how late each breach was written (event time - deadline:
 * p50, p99, max) and how many timers breached more than once (must be 0). Beside it, in the same run
 * and on the same Redis, raw BullMQ delayed no-op jobs with the same spread: the floor any
 * BullMQ-based scheduler can reach here. Redis is a private redis-server with `hz 100` (see
 * libs/sla/README.md); set SLA_BENCH_HZ=10 to see Redis' default.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig, QueueName, QueueService, queueConnectionFor } from '../libs/core/src';
import { SlaScheduler } from '../libs/sla/src/timers/sla-scheduler.service';
import { DueFire, SlaTimerRepository } from '../libs/sla/src/timers/sla-timer.repository';
import { createDataSource } from '../migrations/schema';
import { ROOT, scratchDatabase, summarize } from './support';

const N = Number(process.argv[2] ?? 100_000);
const WINDOW_S = Number(process.argv[3] ?? 90);
const LEAD_S = 20;
const HZ = process.env.SLA_BENCH_HZ ?? '100';
// Everything is bounded: a phase that has not finished this long after its window ends is reported as is.
const DRAIN_S = 60;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--hz', HZ], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return { url: `redis://127.0.0.1:${port}`, proc };
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const entry = process.env.SLA_BENCH_WORKER_ENTRY ?? join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js');
  const proc = spawn(process.execPath, [entry], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 60000);
    proc.stdout!.on('data', (d) => {
      out += d;
      if (/worker ready/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (c) => reject(new Error(`worker exited ${c}:\n${out}`)));
  });
  return proc;
}

/** Due instants: uniform over [start, start + window). */
function dueTimes(start: number): number[] {
  return Array.from({ length: N }, () => start + Math.random() * WINDOW_S * 1000);
}

async function rawBaseline(redisUrl: string, prefix: string) {
  const connection = { ...queueConnectionFor(loadConfig({ ...process.env, REDIS_URL: redisUrl })).connection } as never;
  const queue = new Queue('raw-bench', { connection, prefix });
  const late: number[] = [];
  const worker = new Worker(
    'raw-bench',
    async (job) => {
      late.push(Date.now() - (job.data as { due: number }).due);
    },
    { connection, prefix, concurrency: 50 },
  );
  const start = Date.now() + LEAD_S * 1000;
  const dues = dueTimes(start);
  const t0 = Date.now();
  for (let i = 0; i < N; i += 2000) {
    const now = Date.now();
    await queue.addBulk(dues.slice(i, i + 2000).map((due, j) => ({ name: 'noop', data: { due }, opts: { jobId: `raw.${i + j}`, delay: Math.max(0, Math.round(due - now)), removeOnComplete: true } })));
  }
  const queuedIn = (Date.now() - t0) / 1000;
  const until = start + (WINDOW_S + DRAIN_S) * 1000;
  while (late.length < N && Date.now() < until) await sleep(200);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return { ...summarize(late), missing: N - late.length, queuedIn };
}

const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);

async function slaRun(redisUrl: string, prefix: string) {
  const db = await scratchDatabase('sla');
  progress('scratch database migrated');
  const pool = new Pool({ connectionString: db.url, max: 4 });
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, JWT_SECRET: randomBytes(24).toString('hex'), SLA_RECONCILE_MS: process.env.SLA_RECONCILE_MS ?? '30000' };
  const config = loadConfig({ ...process.env, ...env });
  const ds: DataSource = await createDataSource({ url: db.url, poolSize: 4 }).initialize();
  const queues = new QueueService(queueConnectionFor(config), config);
  let worker: ChildProcess | null = null;
  try {
    // A running system: the worker is up (its start-up rebuild finds nothing), then the timers come.
    worker = await startWorker(env);
    progress('worker started');
    const start = Date.now() + LEAD_S * 1000;
    const t0 = Date.now();
    // One customer, N tickets, one active first-response timer each (no warning: breaches only).
    await pool.query(`INSERT INTO customers (email) VALUES ('bench@example.com')`);
    await pool.query(
      `INSERT INTO tickets (subject, status, priority, channel, customer_id)
       SELECT 'bench ' || g, 'open', 'normal', 'api', (SELECT id FROM customers LIMIT 1) FROM generate_series(1, $1) g`,
      [N],
    );
    const dues = dueTimes(start);
    for (let i = 0; i < N; i += 20000) {
      await pool.query(
        `INSERT INTO sla_timers (ticket_id, target, state, target_minutes, warn_at_percent, started_at, due_at, warn_at, version)
         SELECT t.id, 'first_response', 'active', 1, 100, now(), d.at, d.at, 1
         FROM (SELECT id, row_number() OVER (ORDER BY number) AS rn FROM tickets) t
         JOIN (SELECT timestamptz 'epoch' + round(due) * interval '1 millisecond' AS at, rn FROM unnest($1::float8[]) WITH ORDINALITY AS u(due, rn)) d ON d.rn + $2 = t.rn`,
        [dues.slice(i, i + 20000), i],
      );
    }
    // As after any bulk load: fresh statistics, or the planner takes the 100,000-row tables for empty.
    await pool.query(`ANALYZE tickets; ANALYZE sla_timers`);
    const insertedIn = (Date.now() - t0) / 1000;
    progress(`${N} tickets and timers inserted in ${insertedIn.toFixed(1)} s`);
    // Queue through the scheduler, as the reconciler does at start (paged by due instant).
    const t1 = Date.now();
    const repo = new SlaTimerRepository();
    const scheduler = new SlaScheduler(queues);
    let after: DueFire | undefined;
    let queued = 0;
    for (;;) {
      const page = await repo.dueBy(ds.manager, new Date(start + WINDOW_S * 1000 + 1000), 10000, after);
      if (!page.length) break;
      await scheduler.schedule(page);
      queued += page.length;
      after = page[page.length - 1];
    }
    const queuedIn = (Date.now() - t1) / 1000;
    progress(`${queued} jobs queued in ${queuedIn.toFixed(1)} s`);
    const until = start + (WINDOW_S + DRAIN_S) * 1000;
    let breached = 0;
    while (Date.now() < until) {
      breached = (await pool.query(`SELECT count(*)::int AS n FROM sla_timers WHERE state = 'breached'`)).rows[0].n;
      if (breached >= N) break;
      await sleep(1000);
    }
    const late = (
      await pool.query(
        `SELECT extract(epoch FROM e.created_at - s.due_at) * 1000 AS ms
         FROM ticket_events e JOIN sla_timers s ON s.id = (e.data->>'timerId')::uuid WHERE e.type = 'sla.breached'`,
      )
    ).rows.map((r: { ms: string }) => Number(r.ms));
    // Lateness over the window, 10 s buckets of deadline: shows a stall (e.g. a reconcile run) as a bump.
    const buckets = (
      await pool.query(
        `SELECT floor(extract(epoch FROM s.due_at - to_timestamp($1 / 1000.0)) / 10)::int AS b,
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.created_at - s.due_at) * 1000))::int AS p50,
                round(max(extract(epoch FROM e.created_at - s.due_at) * 1000))::int AS max
           FROM ticket_events e JOIN sla_timers s ON s.id = (e.data->>'timerId')::uuid WHERE e.type = 'sla.breached' GROUP BY 1 ORDER BY 1`,
        [start],
      )
    ).rows.map((r: { b: number; p50: number; max: number }) => `${r.b * 10}s:${r.p50}/${r.max}`);
    progress(`lateness p50/max by deadline bucket: ${buckets.join(' ')}`);
    const dup = (
      await pool.query(`SELECT count(*)::int AS n FROM (SELECT data->>'timerId' FROM ticket_events WHERE type = 'sla.breached' GROUP BY 1 HAVING count(*) > 1) d`)
    ).rows[0].n;
    const early = late.filter((ms) => ms < 0).length;
    // Where the time goes: the queue's own pickup delay (processedOn - due) of the jobs BullMQ kept.
    const kept = await queues.queue(QueueName.Sla).getJobs(['completed'], 0, 4999);
    const pickup = summarize(kept.filter((j) => j.name === 'sla.fire' && j.processedOn).map((j) => j.processedOn! - (j.timestamp + (j.opts.delay ?? 0))));
    const handler = summarize(kept.filter((j) => j.name === 'sla.fire' && j.finishedOn && j.processedOn).map((j) => j.finishedOn! - j.processedOn!));
    return { ...summarize(late), missing: N - breached, duplicates: dup, early, insertedIn, queued, queuedIn, pickup, handler };
  } finally {
    if (worker && worker.exitCode === null) {
      const done = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await done;
    }
    await queues.onModuleDestroy();
    await ds.destroy();
    await pool.end();
    await db.drop();
  }
}

async function main() {
  const redis = await startRedis();
  const prefix = `{kdbench-${randomBytes(3).toString('hex')}}`;
  try {
    console.log(`sla bench: ${N} timers due uniformly over ${WINDOW_S} s starting ${LEAD_S} s out; Redis hz ${HZ}; 2 cores`);
    const raw = await rawBaseline(redis.url, prefix);
    console.log(`raw BullMQ delayed jobs   : queued in ${raw.queuedIn.toFixed(1)} s; late p50 ${raw.p50.toFixed(0)} ms, p99 ${raw.p99.toFixed(0)} ms, max ${raw.max.toFixed(0)} ms; missing ${raw.missing}`);
    const sla = await slaRun(redis.url, prefix.slice(1, -1));
    console.log(
      `SLA breaches (real worker): inserted in ${sla.insertedIn.toFixed(1)} s, queued ${sla.queued} in ${sla.queuedIn.toFixed(1)} s; ` +
        `late p50 ${sla.p50.toFixed(0)} ms, p99 ${sla.p99.toFixed(0)} ms, max ${sla.max.toFixed(0)} ms; breached more than once: ${sla.duplicates}; ` +
        `early: ${sla.early}; missing ${sla.missing}`,
    );
    console.log(`  of which queue pickup (processedOn - due, last ${sla.pickup.n} jobs): p50 ${sla.pickup.p50.toFixed(0)} ms, p99 ${sla.pickup.p99.toFixed(0)} ms; handler run (finishedOn - processedOn): p50 ${sla.handler.p50.toFixed(0)} ms, p99 ${sla.handler.p99.toFixed(0)} ms`);
    console.log(`ratio p99 SLA / raw: ${(sla.p99 / raw.p99).toFixed(1)}x; target p99 < 1000 ms: ${sla.p99 < 1000 && sla.duplicates === 0 && sla.missing === 0 ? 'met' : 'NOT met'}`);
    if (sla.duplicates || sla.missing) process.exitCode = 1;
  } finally {
    redis.proc.kill('SIGKILL');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
