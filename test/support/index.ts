/**
 * Helpers shared by the e2e suites: boot the real API/worker (in-process or as child processes),
 * authenticated supertest agents, factories with unique data, and event-driven waits.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import request from 'supertest';
import { AppConfig, loadConfig } from '@keepdesk/core';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { createWorkerApp } from '../../apps/worker/src/bootstrap';

export const ROOT = join(__dirname, '..', '..');

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

export interface TestApi {
  app: NestFastifyApplication;
  url: string;
  port: number;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const config = testConfig(overrides);
  const app = await createApiApp(config, config.databaseUrl!);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return { app, url, port: address.port, config, http: () => request(url), close: () => app.close() };
}

export async function startWorker(overrides: Record<string, string> = {}): Promise<INestApplicationContext> {
  const config = testConfig(overrides);
  return createWorkerApp(config, config.databaseUrl!);
}

let pool: Pool | null = null;
/** Direct SQL for assertions and setup (the database the apps use). */
export function db(): Pool {
  pool ??= new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  return pool;
}
export async function closeDb(): Promise<void> {
  await pool?.end();
  pool = null;
}

export const uid = (prefix = 'x') => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Polls until fn returns a truthy value; fails with the last value after the timeout. */
export async function waitFor<T>(fn: () => Promise<T> | T, { timeout = 10000, interval = 50, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const until = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

export const ADMIN = { email: 'admin@test.keepdesk', password: 'admin-password' };

export async function login(api: TestApi, email: string, password: string): Promise<string> {
  const r = await api.http().post('/api/auth/login').send({ email, password });
  if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.accessToken;
}

export const adminToken = (api: TestApi) => login(api, ADMIN.email, ADMIN.password);
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export async function newTeam(api: TestApi, admin: string, name = uid('team')): Promise<{ id: string; name: string }> {
  const r = await api.http().post('/api/teams').set(bearer(admin)).send({ name });
  if (r.status !== 201) throw new Error(`team: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export interface TestAgent {
  id: string;
  email: string;
  token: string;
  role: 'agent' | 'supervisor' | 'admin';
}

export async function newAgent(
  api: TestApi,
  admin: string,
  opts: { role?: 'agent' | 'supervisor' | 'admin'; teamIds?: string[]; capacity?: number; available?: boolean } = {},
): Promise<TestAgent> {
  const email = `${uid('agent')}@test.keepdesk`;
  const r = await api
    .http()
    .post('/api/agents')
    .set(bearer(admin))
    .send({ email, name: email.split('@')[0], password: 'agent-password', role: opts.role ?? 'agent', teamIds: opts.teamIds ?? [], capacity: opts.capacity, available: opts.available });
  if (r.status !== 201) throw new Error(`agent: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id, email, role: opts.role ?? 'agent', token: await login(api, email, 'agent-password') };
}

export async function newApiKey(api: TestApi, admin: string): Promise<string> {
  const r = await api.http().post('/api/api-keys').set(bearer(admin)).send({ name: uid('key') });
  if (r.status !== 201) throw new Error(`api key: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.key;
}

export async function newTicket(api: TestApi, auth: string, body: Record<string, unknown> = {}) {
  const r = await api
    .http()
    .post('/api/tickets')
    .set(bearer(auth))
    .send({ subject: uid('subject'), body: 'Where is my order?', customer: { email: `${uid('c')}@example.com` }, ...body });
  if (r.status !== 201) throw new Error(`ticket: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Runs a built app (dist/) as a child process, for crash/restart and multi-instance tests. */
export interface ChildApp {
  proc: ChildProcess;
  url?: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnApp(which: 'api' | 'worker', env: Record<string, string> = {}, readyTimeout = 60000): Promise<ChildApp> {
  const entry = join(ROOT, 'dist', 'apps', which, 'src', 'main.js');
  const proc = spawn(process.execPath, [entry], { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${which} did not start in ${readyTimeout} ms:\n${out.slice(-3000)}`)), readyTimeout);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (which === 'api' && m) return done(m[1].replace('localhost', '127.0.0.1'));
      if (which === 'worker' && /worker ready/.test(out)) return done(undefined);
    };
    const done = (u: string | undefined) => {
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve(u);
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${which} exited with ${code} before it was ready:\n${out.slice(-3000)}`));
    });
  });
  return {
    proc,
    url,
    output: () => out,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
