import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { io } from 'socket.io-client';

/**
 * Embedded mode as a newcomer gets it: `npm start` (minus the build, done before e2e) with neither
 * DATABASE_URL nor REDIS_URL, a fresh data folder; the launcher hosts PGlite and runs migrate, seed,
 * api and worker as children. Then a restart keeps the data.
 */
const ROOT = join(__dirname, '..', '..');
const ADMIN = { email: 'admin@keepdesk.localhost', password: 'keepdesk-demo' };

jest.setTimeout(180000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

interface Launcher {
  proc: ChildProcess;
  output: () => string;
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
}

function launch(dataDir: string, port: number): Launcher {
  const env: NodeJS.ProcessEnv = { ...process.env, KEEPDESK_DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'warn', SURVEY_SWEEP_MS: '1000' };
  for (const k of ['DATABASE_URL', 'DATABASE_READ_URL', 'REDIS_URL', 'JWT_SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD']) delete env[k];
  const proc = spawn(process.execPath, ['scripts/start.js', '--no-build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  return {
    proc,
    output: () => out,
    async waitFor(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (proc.exitCode !== null) throw new Error(`launcher exited (${proc.exitCode}) before ${re}:\n${out.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop() {
      if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
      return new Promise((resolve) => {
        const t = setTimeout(() => proc.kill('SIGKILL'), 20000);
        proc.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
        proc.kill('SIGTERM');
      });
    },
  };
}

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const r = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

describe('embedded mode (no DATABASE_URL, no REDIS_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keepdesk-embedded-'));
  let launcher: Launcher | null = null;

  afterAll(async () => {
    await launcher?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything, keeps tickets consistent under concurrency, and keeps them across a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    launcher = launch(dataDir, port);
    await launcher.waitFor(/\[keepdesk\] ready in/, 120000);
    await launcher.waitFor(/keepdesk worker ready \(database: embedded PostgreSQL/, 30000);
    const readyMs = Date.now() - t0;
    expect(launcher.output()).toMatch(/production wants a real PostgreSQL and Redis/);
    expect((await call(base, 'GET', '/health/ready')).status).toBe(200);

    const login = await call(base, 'POST', '/api/auth/login', undefined, ADMIN);
    expect(login.status).toBe(200);
    const admin = login.body.accessToken as string;
    const key = await call(base, 'POST', '/api/api-keys', admin, { name: `embedded-${Date.now()}` });
    expect(key.status).toBe(201);

    // Surveys go out 1.2 s after a solve (no SMTP_URL: into the outbox folder).
    const settings = await call(base, 'PUT', '/api/survey-settings', admin, { type: 'csat', delayMinutes: 0.02, reminderAfterHours: 0, suppressDays: 0 });
    expect(settings.status).toBe(200);

    // The live inbox over Socket.IO, fed through Postgres LISTEN/NOTIFY without Redis.
    const socket = io(`${base}/inbox`, { auth: { token: admin }, transports: ['websocket'], reconnection: false });
    const seen: { type: string; ticketId: string }[] = [];
    socket.onAny((type: string, e: { ticketId: string }) => seen.push({ type, ticketId: e?.ticketId }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });

    // Concurrent creations: each is a transaction on a pooled connection of the one PGlite session.
    const tag = `emb${Date.now()}`;
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(base, 'POST', '/api/tickets', key.body.key, { subject: `${tag} #${i}`, body: 'Where is my order?', customer: { email: `${tag}-${i}@example.com` } }),
      ),
    );
    expect(created.map((c) => c.status)).toEqual(Array(12).fill(201));
    const ids = created.map((c) => c.body.id as string);
    expect(new Set(ids).size).toBe(12);
    for (const id of ids) {
      const got = await call(base, 'GET', `/api/tickets/${id}`, admin);
      expect(got.status).toBe(200);
      expect(got.body.subject).toMatch(new RegExp(`^${tag} #\\d+$`));
    }

    const liveDeadline = Date.now() + 15000;
    while (ids.some((id) => !seen.some((e) => e.type === 'ticket.created' && e.ticketId === id)) && Date.now() < liveDeadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    socket.close();
    expect(ids.filter((id) => seen.some((e) => e.type === 'ticket.created' && e.ticketId === id))).toHaveLength(12);

    const solved = await call(base, 'PATCH', `/api/tickets/${ids[0]}`, admin, { status: 'solved' });
    expect(solved.status).toBe(200);
    expect(solved.body.status).toBe('solved');

    // The queues run on BullMQ's PostgreSQL backend in the embedded database: solving owes a survey
    // (survey.send, delayed by the survey settings) and the worker has already run its boot-time
    // auto-close pass. Read through the launcher's server, as any client would.
    const { url } = JSON.parse(readFileSync(join(dataDir, 'embedded-postgres.json'), 'utf8')) as { url: string };
    const pg = new Client({ connectionString: url });
    await pg.connect();
    try {
      const deadline = Date.now() + 30000;
      let survey: unknown[] = [];
      let ran: unknown[] = [];
      while (Date.now() < deadline) {
        survey = (await pg.query(`SELECT state FROM job WHERE name = 'survey.send' AND data->>'ticketId' = $1`, [ids[0]])).rows;
        ran = (await pg.query(`SELECT id FROM job WHERE state = 'completed' AND name IN ('tickets.auto-close', 'sla.reconcile')`)).rows;
        if (survey.length && ran.length) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(survey.length).toBe(1);
      expect(ran.length).toBeGreaterThan(0);
      // …and the worker runs it: the survey is sent (Postgres-backed delayed jobs poll, so allow seconds).
      const sentBy = Date.now() + 45000;
      let sentAt: string | null = null;
      while (!sentAt && Date.now() < sentBy) {
        sentAt = (await call(base, 'GET', `/api/tickets/${ids[0]}`, admin)).body.survey?.sentAt ?? null;
        if (!sentAt) await new Promise((r) => setTimeout(r, 250));
      }
      expect(sentAt).toBeTruthy();

      // The demo's low CSAT answers get their service-recovery tickets from the worker's sweep, and
      // the one database session is free afterwards (opening them once held it forever).
      const recoveredBy = Date.now() + 45000;
      let low = { total: 0, open: -1 };
      while (Date.now() < recoveredBy) {
        low = (await pg.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE follow_up_ticket_id IS NULL)::int AS open FROM surveys WHERE low_score`)).rows[0];
        if (low.open === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(low.total).toBeGreaterThan(0);
      expect(low.open).toBe(0);
      expect((await call(base, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await pg.end();
    }

    process.stdout.write(`embedded: ready after ${(readyMs / 1000).toFixed(1)} s\n`);
    expect(await launcher.stop()).toBe(0);

    launcher = launch(dataDir, port);
    await launcher.waitFor(/\[keepdesk\] ready in/, 120000);
    expect(launcher.output()).toMatch(/database is up to date/);
    const again = await call(base, 'POST', '/api/auth/login', undefined, ADMIN);
    expect(again.status).toBe(200);
    const kept = await call(base, 'GET', `/api/tickets/${ids[0]}`, again.body.accessToken);
    expect(kept.status).toBe(200);
    expect(kept.body.status).toBe('solved');
  });
});
