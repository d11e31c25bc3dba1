import { EntityManager } from 'typeorm';

/**
 * TypeORM 1.x's manager.query returns `[rows, rowCount]` for UPDATE/DELETE but plain rows for
 * SELECT/INSERT … RETURNING; these helpers say which shape the caller wants.
 */
export async function rows<T = Record<string, any>>(m: Pick<EntityManager, 'query'>, sql: string, params: unknown[] = []): Promise<T[]> {
  const r = await m.query(sql, params);
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
  return r as T[];
}

export async function one<T = Record<string, any>>(m: Pick<EntityManager, 'query'>, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(m, sql, params))[0];
}

export async function affected(m: Pick<EntityManager, 'query'>, sql: string, params: unknown[] = []): Promise<number> {
  const r = await m.query(sql, params);
  if (Array.isArray(r) && r.length === 2 && typeof r[1] === 'number') return r[1];
  return Array.isArray(r) ? r.length : 0;
}
