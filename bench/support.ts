/** Shared by the benchmarks: a scratch database, child apps, percentiles, a keep-alive HTTP client. */
import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createMigratedDatabase, dropDatabase } from '../migrations/scratch-database';

export const ROOT = join(__dirname, '..', '..');

export async function scratchDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `keepdesk_bench_${tag}_${Date.now()}`;
  return { url: await createMigratedDatabase(name), drop: () => dropDatabase(name) };
}

/** Environment of the app processes a bench starts: production mode, its own Redis prefix and admin. */
export function appEnv(databaseUrl: string, smtpUrl = 'smtp://127.0.0.1:2525'): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `kdbench-${randomBytes(3).toString('hex')}`,
    JWT_SECRET: randomBytes(24).toString('hex'),
    ADMIN_EMAIL: 'bench@keepdesk.localhost',
    ADMIN_PASSWORD: 'bench-password',
    NODE_ENV: 'production',
    PUBLIC_URL: 'http://localhost',
    SMTP_URL: smtpUrl,
  };
}

/** mulberry32: a tiny seeded PRNG, so runs (and test fixtures) are the same every time. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(latencies: number[]) {
  const s = [...latencies].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export interface Child {
  proc: ChildProcess;
  url?: string;
  peakRssMb(): number;
  kill(): Promise<void>;
}

/** Starts dist/apps/<which>/src/main.js and samples its RSS from /proc every 200 ms. */
export async function startChild(which: 'api' | 'worker', env: Record<string, string>): Promise<Child> {
  // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the app processes of a bench run.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'apps', which, 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  let peak = 0;
  const fs = await import('node:fs');
  const sampler = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* exited */
    }
  }, 200);
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${which} did not start:\n${out}`)), 60000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (which === 'api' && m) {
        clearTimeout(t);
        resolve(m[1].replace('localhost', '127.0.0.1'));
      } else if (which === 'worker' && /worker ready/.test(out)) {
        clearTimeout(t);
        resolve(undefined);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (c) => reject(new Error(`${which} exited ${c}:\n${out}`)));
  });
  return {
    proc,
    url,
    peakRssMb: () => Math.round(peak),
    kill: async () => {
      clearInterval(sampler);
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function request(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method, agent, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

export async function adminSession(api: string, email: string, password: string): Promise<{ token: string; apiKey: string }> {
  const login = await request(`${api}/api/auth/login`, 'POST', { email, password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.accessToken as string;
  const key = await request(`${api}/api/api-keys`, 'POST', { name: 'bench' }, { authorization: `Bearer ${token}` });
  return { token, apiKey: key.body.key };
}

/** Runs `concurrency` loops calling fn for `seconds`; returns latencies (ms) and the failures. */
export async function closedLoop(concurrency: number, seconds: number, fn: (i: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  let i = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        const ok = await fn(i++);
        if (ok) latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  return { latencies, failures, elapsed: (Date.now() - started) / 1000 };
}
