import { setDefaultBackendFactory } from 'bullmq';
import { AppConfig } from '../config/config';
import type { QueueConnection } from './queue.service';

/**
 * Redis when REDIS_URL is set. Without it, BullMQ runs on its PostgreSQL backend over the same
 * database (embedded mode; see libs/core/src/embedded).
 */
export function queueConnectionFor(config: AppConfig): QueueConnection {
  if (config.redisUrl) {
    const u = new URL(config.redisUrl);
    return {
      connection: {
        host: u.hostname,
        port: Number(u.port || 6379),
        username: u.username || undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
        tls: u.protocol === 'rediss:' ? {} : undefined,
        maxRetriesPerRequest: null,
      },
    };
  }
  if (!config.databaseUrl) throw new Error('queue connection needs DATABASE_URL or REDIS_URL (embedded mode sets DATABASE_URL after starting PGlite)');
  // No Redis: BullMQ's PostgreSQL backend, process-wide. Runs before any Queue/Worker exists, since
  // both take the connection from this provider. The `public` schema because pglite-socket-style
  // servers ignore search_path.
  // bullmq publishes no subpath export for it: the CJS build, typed by its ESM declarations.
  const { createPostgresBackend } = require('bullmq/dist/cjs/postgres') as typeof import('bullmq/dist/esm/postgres');
  setDefaultBackendFactory(createPostgresBackend as never);
  return { connection: { connectionString: config.databaseUrl, schema: 'public', migrate: true } as never };
}
