import Redis from 'ioredis';
import { dropDatabase } from '../../migrations/scratch-database';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.KEEPDESK_TEST_DB;
  if (name && process.env.KEEP_TEST_DB !== '1') await dropDatabase(name);
  const prefix = process.env.REDIS_PREFIX;
  if (prefix && process.env.REDIS_URL) await deleteRedisPrefix(process.env.REDIS_URL, prefix);
}

/** Deletes every key under a (hash-tagged) Redis prefix: a run's, or a suite's own. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
