import { ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { bearer, db, ROOT, TestApi, uid } from '@keepdesk/testing';

/**
 * A Redis server of the suite's own: FLUSHDB and `hz 100` touch nobody else's queues, and Redis
 * keeps nothing on disk, as on the production machines.
 */
export interface OwnRedis {
  url: string;
  client: Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--hz', '100'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; !(await canConnect(port)); i++) {
    if (i > 100) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    url,
    client,
    stop: async () => {
      client.disconnect();
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** The built worker as a child process (`node dist/apps/worker/src/main.js`), so it can be killed with -9. */
export interface WorkerProcess {
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnWorker(env: Record<string, string>, readyTimeout = 30000): Promise<WorkerProcess> {
  // SLA_TEST_WORKER_ENTRY: an alternative entry for local runs (defaults to the real worker).
  const entry = process.env.SLA_TEST_WORKER_ENTRY ?? join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js');
  const proc = spawn(process.execPath, [entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in ${readyTimeout} ms:\n${out.slice(-3000)}`)), readyTimeout);
    const onData = (d: Buffer) => {
      out += d;
      if (/worker ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d) => (out += d));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready:\n${out.slice(-3000)}`));
    });
  });
  return {
    proc,
    output: () => out,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** A policy that only this test's tickets match (by a unique tag), so suites never interfere. */
export async function policyFor(api: TestApi, admin: string, body: Record<string, unknown>): Promise<{ id: string; tag: string }> {
  const tag = uid('sla');
  const r = await api
    .http()
    .post('/api/sla-policies')
    .set(bearer(admin))
    .send({ name: tag, match: { tags: [tag] }, ...body });
  if (r.status !== 201) throw new Error(`policy: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id, tag };
}

export interface TimerRow {
  id: string;
  target: string;
  state: string;
  due_at: Date | null;
  breached_at: Date | null;
  version: number;
}

export async function timersOf(ticketId: string): Promise<TimerRow[]> {
  return (await db().query(`SELECT id, target, state, due_at, breached_at, version FROM sla_timers WHERE ticket_id = $1 ORDER BY started_at, target`, [ticketId])).rows;
}

/** sla.* events of a ticket as written to the durable log (what the inbox delivers). */
export async function slaEvents(ticketId: string): Promise<{ type: string; created_at: Date; data: Record<string, unknown> }[]> {
  return (await db().query(`SELECT type, created_at, data FROM ticket_events WHERE ticket_id = $1 AND type LIKE 'sla.%' ORDER BY id`, [ticketId])).rows;
}

export async function breachCounts(ticketIds: string[]): Promise<Map<string, number>> {
  const r = await db().query(`SELECT ticket_id, count(*)::int AS n FROM ticket_events WHERE ticket_id = ANY($1::uuid[]) AND type = 'sla.breached' GROUP BY ticket_id`, [ticketIds]);
  return new Map(r.rows.map((x: { ticket_id: string; n: number }) => [x.ticket_id, x.n]));
}
