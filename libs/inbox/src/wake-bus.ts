import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Client, Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';

/**
 * A hint, carried between processes, that the event log has grown: the committing process (API
 * or worker) sends it after commit with the highest id it committed, every API instance wakes its
 * feed reader. Only a hint: a lost one costs latency (the reader also polls), never an event.
 */
export abstract class WakeBus {
  abstract signal(upTo: bigint): Promise<void>;
  /** `upTo` is undefined when a hint carries no id (a sender of an older version). */
  abstract onWake(fn: (upTo?: bigint) => void): void;
  abstract close(): Promise<void>;
}

const parseHint = (payload: string | undefined) => (payload && /^\d{1,19}$/.test(payload) ? BigInt(payload) : undefined);

export class RedisWakeBus extends WakeBus {
  private sub: Redis | null = null;
  private readonly listeners: ((upTo?: bigint) => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
  ) {
    super();
  }

  async signal(upTo: bigint): Promise<void> {
    await this.redis.publish(this.channel, upTo.toString());
  }

  onWake(fn: (upTo?: bigint) => void): void {
    this.listeners.push(fn);
    if (!this.sub) {
      this.sub = this.redis.duplicate({ connectionName: 'keepdesk-inbox-wake' });
      this.sub.on('message', (_channel: string, payload: string) => {
        const upTo = parseHint(payload);
        this.listeners.forEach((l) => l(upTo));
      });
      void this.sub.subscribe(this.channel);
    }
  }

  async close(): Promise<void> {
    await this.sub?.quit().catch(() => undefined);
    this.sub = null;
  }
}

/** Embedded mode (no Redis): Postgres LISTEN/NOTIFY on a dedicated connection. */
export class PgWakeBus extends WakeBus {
  private readonly logger = new Logger(PgWakeBus.name);
  private client: PoolClient | Client | null = null;
  private readonly listeners: ((upTo?: bigint) => void)[] = [];

  constructor(
    private readonly db: DataSource,
    private readonly channel = 'keepdesk_inbox_wake',
  ) {
    super();
  }

  async signal(upTo: bigint): Promise<void> {
    await this.db.query(`SELECT pg_notify($1, $2)`, [this.channel, upTo.toString()]);
  }

  onWake(fn: (upTo?: bigint) => void): void {
    this.listeners.push(fn);
    if (this.client) return;
    // The pool TypeORM's postgres driver keeps; LISTEN needs one connection of its own.
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    void pool
      .connect()
      .then(async (c) => {
        this.client = c;
        c.on('notification', (n) => {
          const upTo = parseHint(n.payload);
          this.listeners.forEach((l) => l(upTo));
        });
        await c.query(`LISTEN ${this.channel}`);
      })
      .catch((e: Error) => this.logger.warn(`LISTEN failed, relying on polling: ${e.message}`));
  }

  async close(): Promise<void> {
    const c = this.client as PoolClient | null;
    this.client = null;
    if (c) {
      await c.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
      c.release();
    }
  }
}

/** Same process: nothing to carry (tests, single-process tools). */
export class LocalWakeBus extends WakeBus {
  private readonly listeners: ((upTo?: bigint) => void)[] = [];
  async signal(upTo: bigint): Promise<void> {
    this.listeners.forEach((l) => l(upTo));
  }
  onWake(fn: (upTo?: bigint) => void): void {
    this.listeners.push(fn);
  }
  async close(): Promise<void> {}
}
