import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../http/access';
import { REDIS } from '../redis/redis';

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`no answer in ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Optional() @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  @Public()
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready = the database answers, and Redis too when one is configured (embedded mode has none). */
  @Public()
  @Get('ready')
  async ready() {
    const checks: Record<string, { status: 'up' | 'down'; message?: string }> = {};
    try {
      await within(this.db.query('SELECT 1'), 2000);
      checks.database = { status: 'up' };
    } catch (e) {
      checks.database = { status: 'down', message: (e as Error).message };
    }
    if (this.redis) {
      try {
        await within(this.redis.ping(), 2000);
        checks.redis = { status: 'up' };
      } catch (e) {
        checks.redis = { status: 'down', message: (e as Error).message };
      }
    }
    const ok = Object.values(checks).every((c) => c.status === 'up');
    if (!ok) throw new ServiceUnavailableException({ message: 'not ready: ' + Object.entries(checks).filter(([, c]) => c.status === 'down').map(([k, c]) => `${k} ${c.message}`).join('; ') });
    return { status: 'ok', checks };
  }
}
