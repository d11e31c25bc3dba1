import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig, REDIS } from '@keepdesk/core';

/**
 * Fixed-window counters: in Redis, so every API instance shares them (SPEC "Scale"); in process
 * memory only in embedded mode (one instance).
 */
@Injectable()
export class RateLimiter {
  private readonly memory = new Map<string, { count: number; resetAt: number }>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one hit; false when the key is over `limit` in the current window. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<boolean> {
    if (this.redis) {
      const k = `${this.config.redisPrefix}:rl:${key}`;
      try {
        const res = await this.redis.multi().incr(k).expire(k, windowSeconds, 'NX').exec();
        const count = Number(res?.[0]?.[1] ?? 0);
        return count <= limit;
      } catch {
        // Redis down: fail open for a public page rather than lock every customer out.
        return true;
      }
    }
    const now = Date.now();
    if (this.memory.size > 50000) for (const [k, v] of this.memory) if (v.resetAt <= now) this.memory.delete(k);
    const e = this.memory.get(key);
    if (!e || e.resetAt <= now) {
      this.memory.set(key, { count: 1, resetAt: now + windowSeconds * 1000 });
      return true;
    }
    e.count++;
    return e.count <= limit;
  }
}
