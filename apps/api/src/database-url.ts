import { AppConfig } from '@keepdesk/core';
import { readEmbeddedState, startEmbeddedPostgres, writeEmbeddedState } from '../../../libs/core/src/embedded';

/**
 * The database URL to use: DATABASE_URL, or in embedded mode the URL of the PGlite server that
 * `npm start` hosts for the data folder (see libs/core/src/embedded). Only one process may own a
 * PGlite folder, so an app never opens it itself.
 */
export async function resolveDatabaseUrl(config: AppConfig): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const running = readEmbeddedState(config.dataDir);
  if (running) {
    // From here on the process behaves as if the launcher had set DATABASE_URL (queues need it).
    config.databaseUrl = running.url;
    process.env.KEEPDESK_EMBEDDED_DB = '1';
    return running.url;
  }
  throw new Error(`DATABASE_URL is not set and no embedded Postgres is running for ${config.dataDir}: run \`npm start\`, which hosts it`);
}

/**
 * For the CLI (migrate, seed…): DATABASE_URL, else the running launcher's embedded server, else an
 * embedded server of its own for the duration of the command.
 */
export async function withDatabase<T>(config: AppConfig, fn: (url: string) => Promise<T>): Promise<T> {
  if (config.databaseUrl) return fn(config.databaseUrl);
  const running = readEmbeddedState(config.dataDir);
  if (running) return fn(running.url);
  const pg = await startEmbeddedPostgres({ dataDir: config.dataDir });
  writeEmbeddedState(config.dataDir, { pid: process.pid, url: pg.url });
  try {
    return await fn(pg.url);
  } finally {
    writeEmbeddedState(config.dataDir, null);
    await pg.stop();
  }
}

/** The start-up log's account of which services run, with the production caveat when embedded. */
export function modeLine(config: AppConfig): string {
  // The launcher sets DATABASE_URL to its embedded server and marks it so.
  const embeddedDb = !config.databaseUrl || process.env.KEEPDESK_EMBEDDED_DB === '1';
  const db = embeddedDb ? 'database: embedded PostgreSQL (PGlite)' : 'database: PostgreSQL';
  const queue = config.redisUrl ? 'queues/live feed: Redis' : 'queues: BullMQ on PostgreSQL, live feed in-process (one instance)';
  const caveat = embeddedDb || !config.redisUrl ? '; demo mode: production wants a real PostgreSQL and Redis (SLA timers are less punctual without Redis)' : '';
  return `${db}; ${queue}${caveat}`;
}
