import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig, EventFeed, EventPublisher, FeedEvent, OnlineAgents, REDIS } from '@keepdesk/core';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { FeedReader } from './feed-reader.service';
import { MemoryPresenceStore, PresenceStore, RedisPresenceStore } from './presence.store';
import { MemoryViewingStore, RedisViewingStore, ViewingStore } from './viewing.store';
import { PgWakeBus, RedisWakeBus, WakeBus } from './wake-bus';

/**
 * What a committing process does with its events after commit: hands them to its own FeedReader
 * (API instances; sent at once when no smaller id is still open) and tells every other process
 * the highest id it committed, so their readers read up to it (README "Ordering").
 */
@Injectable()
export class InboxPublisher implements EventPublisher, OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboxPublisher.name);

  constructor(
    private readonly feed: EventFeed,
    private readonly online: OnlineAgents,
    private readonly bus: WakeBus,
    private readonly presence: PresenceStore,
    @Optional() private readonly reader?: FeedReader,
  ) {}

  onModuleInit(): void {
    this.feed.use(this);
    this.online.use(this.presence);
  }

  async publish(events: FeedEvent[]): Promise<void> {
    if (!events.length) return;
    this.reader?.offer(events);
    const upTo = events.reduce((m, e) => (BigInt(e.id) > m ? BigInt(e.id) : m), 0n);
    // A lost hint only delays other instances until their next poll; never fail the caller's request.
    await this.bus.signal(upTo, events).catch((e: Error) => this.logger.warn(`wake signal failed: ${e.message}`));
  }

  /** Before the pool closes (the embedded-mode LISTEN connection is one of its clients). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

const wakeChannel = (c: AppConfig) => `${c.redisPrefix}:inbox:wake`;

/** Redis when configured; in embedded mode Postgres LISTEN/NOTIFY and in-process state (one instance). */
export const INBOX_SHARED_PROVIDERS = [
  {
    provide: WakeBus,
    inject: [APP_CONFIG, REDIS, DataSource],
    useFactory: (c: AppConfig, redis: Redis | null, db: DataSource) => (redis ? new RedisWakeBus(redis, wakeChannel(c)) : new PgWakeBus(db)),
  },
  {
    provide: PresenceStore,
    inject: [APP_CONFIG, REDIS],
    useFactory: (c: AppConfig, redis: Redis | null) => (redis ? new RedisPresenceStore(redis, c.redisPrefix) : new MemoryPresenceStore()),
  },
  InboxPublisher,
];

export const viewingStoreProvider = {
  provide: ViewingStore,
  inject: [APP_CONFIG, REDIS],
  useFactory: (c: AppConfig, redis: Redis | null) => (redis ? new RedisViewingStore(redis, c.redisPrefix) : new MemoryViewingStore()),
};

