import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { InboxRepository, LogEvent } from './inbox.repository';
import { InboxUser, roomsForEvent, userGets } from './rooms';
import { WakeBus } from './wake-bus';

/** Where the reader delivers: the gateway's namespace (this instance's sockets only). */
export interface FeedSink {
  broadcast(e: LogEvent, rooms: string[]): void;
}

/** A socket waiting to go live: replay what it missed, then join its rooms, in one step of the reader. */
export interface CatchUp {
  user: InboxUser;
  /** auth.lastEventId, or null for "live only". */
  after: bigint | null;
  send(e: LogEvent): void;
  /** Join rooms: from now on the socket gets the live stream. */
  goLive(): void;
  /** Too many missed events to replay: the client should reload its lists. */
  resync(from: bigint, to: bigint): void;
  connected(): boolean;
  since: number;
}

const PAGE = 1000;
/** A reconnect that missed more than this many log entries is told to resync instead. */
export const REPLAY_LIMIT = 20000;
/** Fallback poll: catches lost wake hints and events whose publisher died after commit. */
const POLL_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads the durable event log in id order and hands each event to this instance's sockets, once,
 * only when every smaller id is final (committed or rolled back). Ids from a sequence are
 * allocated before commit, so they can commit out of order; see README "Ordering and replay".
 *
 * One reader per API instance; everything it does (advance, replay, go live) runs in one loop,
 * so no live event can slip between a socket's replay and its joining the rooms.
 */
@Injectable()
export class FeedReader implements BeforeApplicationShutdown {
  private readonly logger = new Logger(FeedReader.name);
  private cursor: bigint | null = null;
  /** The cursor, or the last id broadcast while a round is half-way through its pages. */
  private delivered = 0n;
  private sink: FeedSink | null = null;
  private pending: CatchUp[] = [];
  private dirty = true;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private conn: QueryRunner | null = null;

  constructor(
    private readonly repo: InboxRepository,
    private readonly bus: WakeBus,
  ) {}

  /** The last id this instance has delivered (every id up to it is final). */
  get position(): string {
    return this.delivered.toString();
  }

  start(sink: FeedSink): void {
    if (this.sink) return;
    this.sink = sink;
    this.bus.onWake(() => this.wake());
    this.loopDone = this.loop();
  }

  wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  enqueue(c: CatchUp): void {
    this.pending.push(c);
    this.wake();
  }

  /** Before the database pool closes: it waits for the connection this reader holds. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loopDone;
    await this.conn?.release().catch(() => undefined);
    this.conn = null;
  }

  /** Sleeps until wake() or the timeout, whichever comes first. */
  private async nap(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wakeUp = null;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.dirty) await this.nap(POLL_MS);
      if (this.stopped) break;
      this.dirty = false;
      try {
        await this.advance();
      } catch (e) {
        if (this.stopped) break;
        this.logger.warn(`feed read failed: ${(e as Error).message}`);
        // Start over on a fresh connection (the old one may be broken).
        await this.conn?.release().catch(() => undefined);
        this.conn = null;
        await sleep(250);
        this.dirty = true;
      }
    }
  }

  private async advance(): Promise<void> {
    this.conn ??= await this.repo.dedicatedConnection();
    const conn = this.conn;
    const { allocated: target, writers: inFlight } = await this.repo.watermark(conn);
    if (this.cursor === null || target < this.cursor) {
      // First round (history before boot is for replay only), or the log was truncated.
      this.cursor = target;
    } else if (target > this.cursor) {
      // Anyone still writing may own an id <= target that is not visible yet: wait for exactly
      // those transactions (not for ones that start later: their ids are > target).
      let writers = inFlight;
      let pause = 1;
      while (writers.length && !this.stopped) {
        await this.serveCatchUps();
        // A writer that commits publishes, which wakes us at once; the timeout covers rollbacks.
        await this.nap(pause);
        pause = Math.min(pause * 2, 50);
        writers = await this.repo.stillWriting(writers, conn);
      }
      let after = this.cursor;
      for (;;) {
        const batch = await this.repo.between(after, target, PAGE, conn);
        for (const e of batch) {
          this.sink!.broadcast(e, roomsForEvent(e));
          this.delivered = BigInt(e.id);
        }
        if (batch.length < PAGE) break;
        after = BigInt(batch[batch.length - 1].id);
      }
      this.cursor = target;
    }
    this.delivered = this.cursor;
    await this.serveCatchUps();
  }

  private async serveCatchUps(): Promise<void> {
    if (!this.pending.length || this.cursor === null) return;
    const cursor = this.cursor;
    const waiting: CatchUp[] = [];
    for (const c of this.pending.splice(0)) {
      if (!c.connected()) continue;
      if (c.after === null || c.after === cursor) {
        c.goLive();
        continue;
      }
      if (c.after > cursor) {
        // The client saw a newer id on another instance: wait until this reader reaches it, or
        // it would get those events twice. An id beyond anything allocated is not one we issued.
        if (Date.now() - c.since < 5000) waiting.push(c);
        else c.goLive();
        continue;
      }
      if (cursor - c.after > BigInt(REPLAY_LIMIT)) {
        c.resync(c.after, cursor);
        c.goLive();
        continue;
      }
      let after = c.after;
      for (;;) {
        const batch = await this.repo.between(after, cursor, PAGE, this.conn ?? undefined);
        for (const e of batch) if (userGets(c.user, e)) c.send(e);
        if (batch.length < PAGE) break;
        after = BigInt(batch[batch.length - 1].id);
      }
      if (c.connected()) c.goLive();
    }
    this.pending.push(...waiting);
    if (waiting.length) setTimeout(() => this.wake(), 20);
  }
}
