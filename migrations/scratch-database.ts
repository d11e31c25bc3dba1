import { Client } from 'pg';
import { createDataSource } from './schema';

/** The server's maintenance database; tests and benches create their own databases through it. */
export const ADMIN_DATABASE_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ADMIN_DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database built from the migrations (never synchronize); returns its URL. */
export async function createMigratedDatabase(name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = ADMIN_DATABASE_URL.replace(/\/[^/]*$/, `/${name}`);
  const ds = await createDataSource({ url }).initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
