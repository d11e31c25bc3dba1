#!/usr/bin/env node
/**
 * The whole test suite, as the README's `npm test` and CI run it:
 * type-check → lint → build → migration drift gate → unit tests → e2e tests.
 * Needs PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres) and Redis.
 */
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');

const bin = (name) => require.resolve(`.bin/${name}`, { paths: [require('node:path').join(__dirname, '..', 'node_modules')] });
const run = (title, cmd, args, env = {}) => {
  const started = Date.now();
  process.stdout.write(`\n=== ${title}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stdout.write(`\n✗ ${title} failed after ${secs} s\n`);
    process.exit(r.status ?? 1);
  }
  process.stdout.write(`✓ ${title} (${secs} s)\n`);
};

async function driftGate() {
  const admin = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `keepdesk_drift_${Date.now()}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  try {
    run('migration drift gate (migrate a fresh database, then compare with the entities)', process.execPath, ['dist/apps/api/src/cli.js', 'migration:check'], {
      DATABASE_URL: admin.replace(/\/[^/]*$/, `/${name}`),
      NODE_ENV: 'test',
      JWT_SECRET: 'drift-gate-secret-not-used',
    });
  } finally {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}

(async () => {
  const only = process.argv[2];
  const started = Date.now();
  if (!only || only === 'static') {
    run('type-check (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
    run('lint (eslint, zero warnings)', bin('eslint'), ['--max-warnings', '0', '--no-error-on-unmatched-pattern', 'apps', 'libs', 'migrations', 'test', 'bench', 'scripts']);
  }
  run('build', bin('nest'), ['build', 'api']);
  await driftGate();
  if (!only || only === 'unit') run('unit tests', bin('jest'), ['--selectProjects', 'unit', '--ci']);
  if (!only || only === 'e2e') run('e2e tests (real PostgreSQL, Redis, BullMQ, Socket.IO, SMTP)', bin('jest'), ['--selectProjects', 'e2e', '--runInBand', '--ci', '--forceExit']);
  process.stdout.write(`\nall green in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
