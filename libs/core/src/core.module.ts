import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from './config/config';
import { EventFeed } from './events/inbox-event';
import { OnlineAgents } from './presence/online-agents';
import { Metrics } from './metrics/metrics';
import { QUEUE_CONNECTION, QueueService } from './queues/queue.service';
import { createRedis, REDIS } from './redis/redis';
import { queueConnectionFor } from './queues/queue-connection';

/**
 * Process-wide infrastructure shared by the api and worker apps: config, Redis, queues, metrics,
 * and the seams the inbox module plugs into (EventFeed, OnlineAgents).
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig) {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: REDIS, useFactory: () => createRedis(config, { name: 'keepdesk' }) },
        { provide: QUEUE_CONNECTION, useFactory: () => queueConnectionFor(config) },
        QueueService,
        Metrics,
        RedisCloser,
        EventFeed,
        OnlineAgents,
      ],
      exports: [APP_CONFIG, REDIS, QUEUE_CONNECTION, QueueService, Metrics, EventFeed, OnlineAgents],
    };
  }
}

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}
  async onApplicationShutdown() {
    await this.redis?.quit().catch(() => undefined);
  }
}
