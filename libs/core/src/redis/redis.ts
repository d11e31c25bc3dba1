import Redis from 'ioredis';
import { AppConfig } from '../config/config';

/** The shared ioredis client, or null in embedded mode (no REDIS_URL). */
export const REDIS = Symbol('REDIS');

export function createRedis(config: AppConfig, extra: { maxRetriesPerRequest?: number | null; name?: string } = {}): Redis | null {
  if (!config.redisUrl) return null;
  return new Redis(config.redisUrl, {
    maxRetriesPerRequest: extra.maxRetriesPerRequest === undefined ? 3 : extra.maxRetriesPerRequest,
    enableReadyCheck: true,
    lazyConnect: false,
    connectionName: extra.name,
  });
}
