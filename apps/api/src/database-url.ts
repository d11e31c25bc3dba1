import { AppConfig } from '@keepdesk/core';

/**
 * The database URL to use: DATABASE_URL, or in embedded mode the URL of the PGlite server that
 * `npm start` hosts (see libs/core/src/embedded).
 */
export async function resolveDatabaseUrl(config: AppConfig): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  throw new Error('DATABASE_URL is not set (embedded mode: run `npm start`, which hosts the embedded Postgres)');
}

export async function withDatabase<T>(config: AppConfig, fn: (url: string) => Promise<T>): Promise<T> {
  return fn(await resolveDatabaseUrl(config));
}
