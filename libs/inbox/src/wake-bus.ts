import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Client, Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { LogEvent } from './inbox.repository';

/** What a hint says: the highest id the sender committed, and (when small enough) those events. */
export interface Hint {
  /** Undefined when a hint carries no id (a sender of an older version): look. */
  upTo?: bigint;
  /** The committed events themselves, so a reader can send them without reading the log. */
  events?: LogEvent[];
}

/**
 * A hint, carried between processes, that the event log has grown: the committing process (API
 * or worker) sends it after commit, every API instance wakes its feed reader. Only a hint: a lost
 * one costs latency (the reader also polls), never an event.
 */
export abstract class WakeBus {
  abstract signal(upTo: bigint, events?: LogEvent[]): Promise<void>;
  abstract onWake(fn: (hint: Hint) => void): void;
  abstract close(): Promise<void>;
}

/** `123`, or `{"upTo":"123","events":[…]}` when the events fit in `max` bytes. */
export function encodeHint(upTo: bigint, events: LogEvent[] | undefined, max: number): string {
  if (events?.length) {
    const full = JSON.stringify({ upTo: upTo.toString(), events });
    if (Buffer.byteLength(full) <= max) return full;
  }
  return upTo.toString();
}

const ID = /^\d{1,19}$/;
const isEvent = (e: unknown): e is LogEvent => {
  const x = e as LogEvent | null;
  return !!x && typeof x === 'object' && typeof x.id === 'string' && ID.test(x.id) && typeof x.type === 'string' && typeof x.at === 'string' && !!x.data && typeof x.data === 'object';
};

export function decodeHint(payload: string | undefined): Hint {
  if (!payload) return {};
  if (ID.test(payload)) return { upTo: BigInt(payload) };
  try {
    const m = JSON.parse(payload) as { upTo?: unknown; events?: unknown };
    if (typeof m.upTo !== 'string' || !ID.test(m.upTo)) return {};
    const events = Array.isArray(m.events) && m.events.every(isEvent) ? m.events : undefined;
    return { upTo: BigInt(m.upTo), events };
  } catch {
    return {};
  }
}

/** Redis pub/sub messages may be large; a burst (auto-close of 500 tickets) goes as an id only. */
const REDIS_HINT_MAX = 64 * 1024;
/** NOTIFY payloads must stay under 8000 bytes. */
const PG_HINT_MAX = 7000;

export class RedisWakeBus extends WakeBus {
  private sub: Redis | null = null;
  private readonly listeners: ((hint: Hint) => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
  ) {
    super();
  }

  async signal(upTo: bigint, events?: LogEvent[]): Promise<void> {
    await this.redis.publish(this.channel, encodeHint(upTo, events, REDIS_HINT_MAX));
  }

  onWake(fn: (hint: Hint) => void): void {
    this.listeners.push(fn);
    if (!this.sub) {
      this.sub = this.redis.duplicate({ connectionName: 'keepdesk-inbox-wake' });
      this.sub.on('message', (_channel: string, payload: string) => {
        const hint = decodeHint(payload);
        this.listeners.forEach((l) => l(hint));
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
  private readonly listeners: ((hint: Hint) => void)[] = [];

  constructor(
    private readonly db: DataSource,
    private readonly channel = 'keepdesk_inbox_wake',
  ) {
    super();
  }

  async signal(upTo: bigint, events?: LogEvent[]): Promise<void> {
    await this.db.query(`SELECT pg_notify($1, $2)`, [this.channel, encodeHint(upTo, events, PG_HINT_MAX)]);
  }

  onWake(fn: (hint: Hint) => void): void {
    this.listeners.push(fn);
    if (this.client) return;
    // The pool TypeORM's postgres driver keeps; LISTEN needs one connection of its own.
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    void pool
      .connect()
      .then(async (c) => {
        this.client = c;
        c.on('notification', (n) => {
          const hint = decodeHint(n.payload);
          this.listeners.forEach((l) => l(hint));
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
  private readonly listeners: ((hint: Hint) => void)[] = [];
  async signal(upTo: bigint, events?: LogEvent[]): Promise<void> {
    this.listeners.forEach((l) => l({ upTo, events }));
  }
  onWake(fn: (hint: Hint) => void): void {
    this.listeners.push(fn);
  }
  async close(): Promise<void> {}
}
