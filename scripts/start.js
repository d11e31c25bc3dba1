#!/usr/bin/env node
/**
 * `npm start`: build, then run the whole helpdesk (API + web on PORT, worker) on this machine.
 * DATABASE_URL unset → this process hosts an embedded PostgreSQL (PGlite, data in
 * <KEEPDESK_DATA_DIR or .keepdesk>/pg) on a free localhost port and hands its URL to the children.
 * REDIS_URL unset → the apps run BullMQ on its PostgreSQL backend. Either set → that real service.
 * `--no-build` skips the build (the tests use it; dist must exist).
 */
const { spawn, spawnSync } = require('node:child_process');
const { resolve, join } = require('node:path');

const root = join(__dirname, '..');
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (msg) => process.stdout.write(`[keepdesk] ${msg}\n`);

function step(title, args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    log(`${title} failed`);
    process.exit(r.status ?? 1);
  }
}

async function main() {
  if (!process.argv.includes('--no-build')) {
    log('building (nest build api)…');
    step('build', [require.resolve('@nestjs/cli/bin/nest.js', { paths: [root] }), 'build', 'api']);
  }
  const dataDir = resolve(root, process.env.KEEPDESK_DATA_DIR?.trim() || '.keepdesk');
  process.env.KEEPDESK_DATA_DIR = dataDir;
  let embedded = null;
  if (!process.env.DATABASE_URL?.trim()) {
    const { startEmbeddedPostgres, readEmbeddedState, writeEmbeddedState } = require(join(root, 'dist/libs/core/src/embedded'));
    const other = readEmbeddedState(dataDir);
    if (other) {
      log(`another keepdesk (pid ${other.pid}) already runs the embedded database of ${dataDir}; stop it first`);
      process.exit(1);
    }
    log(`DATABASE_URL not set: starting the embedded PostgreSQL (PGlite) in ${join(dataDir, 'pg')}…`);
    embedded = await startEmbeddedPostgres({ dataDir });
    writeEmbeddedState(dataDir, { pid: process.pid, url: embedded.url });
    process.env.DATABASE_URL = embedded.url;
    process.env.KEEPDESK_EMBEDDED_DB = '1';
    log(`embedded PostgreSQL ready on 127.0.0.1:${embedded.port} (${secs()} s)`);
  }
  if (!process.env.REDIS_URL?.trim()) log('REDIS_URL not set: queues run on BullMQ\'s PostgreSQL backend');
  if (embedded || !process.env.REDIS_URL?.trim()) {
    log('this is the demo setup; production wants a real PostgreSQL and Redis (see README)');
  }

  const children = [];
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    if (embedded) {
      await embedded.stop().catch(() => undefined);
      require(join(root, 'dist/libs/core/src/embedded')).writeEmbeddedState(dataDir, null);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  // Migrations and seed run as children too, so they talk to the server this process hosts.
  const run = (title, args) =>
    new Promise((res) => {
      const c = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
      children.push(c);
      c.on('exit', (code) => {
        children.splice(children.indexOf(c), 1);
        if (code !== 0) {
          log(`${title} failed (exit ${code})`);
          stop(1);
        } else res();
      });
    });
  await run('migrate', ['dist/apps/api/src/cli.js', 'migrate']);
  await run('seed', ['dist/apps/api/src/cli.js', 'seed']);

  const app = (name, file) => {
    const c = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    children.push(c);
    c.stdout.pipe(process.stdout);
    c.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal ?? code}); stopping`);
        stop(1);
      }
    });
    return c;
  };
  const api = app('api', 'dist/apps/api/src/main.js');
  app('worker', 'dist/apps/worker/src/main.js');
  let buf = '';
  api.stdout.on('data', (d) => {
    if (buf === null) return;
    buf += d.toString();
    const m = /keepdesk api listening on (\S+)/.exec(buf);
    if (m) {
      buf = null;
      log(`ready in ${secs()} s: open ${m[1]} and sign in as ${process.env.ADMIN_EMAIL || 'admin@keepdesk.localhost'} / ${process.env.ADMIN_EMAIL ? '(your ADMIN_PASSWORD)' : 'keepdesk-demo'}`);
    }
  });
}

main().catch((e) => {
  log(`start failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
