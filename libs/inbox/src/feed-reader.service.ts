import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { InboxRepository, LogEvent } from './inbox.repository';
import { InboxUser, roomsForEvent, userGets } from './rooms';
import { Hint, WakeBus } from './wake-bus';

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
/**
 * After this long with nothing to do, one in-flight probe: catches lost wake hints, events whose
 * publisher died after commit, and an id at the end of the log whose transaction rolled back.
 */
const POLL_MS = 500;
/** Own committed events held behind a gap; beyond this the log is read instead (it has them all). */
const KNOWN_MAX = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Delivers the durable event log to this instance's sockets strictly in id order, each event
 * once, and only when every smaller id is final (committed or rolled back). Ids from a sequence
 * are allocated before commit, so they can commit out of order; see README "Ordering and replay".
 *
 * The cursor is the last id delivered; every id up to it is final. Three ways forward:
 * - fast path: an event this process committed (offer(), called after commit) whose id is
 *   cursor + 1 goes out at once, with no query;
 * - hints: another process committed up to id H (wake bus), usually with the events themselves,
 *   which then go out like the fast path's; otherwise (cursor, H] is read and delivered while the
 *   ids run on without a hole: no probe;
 * - a hole (an id allocated by a transaction that has not ended, or never will commit), or the
 *   poll: the in-flight probe (sequence + pg_locks), a wait for exactly those writers, then a read.
 *
 * Replays and going live run in the reader's loop; a replay reads up to the moving cursor and the
 * socket joins its rooms in the same tick as the last read's end is checked, so nothing is lost or
 * doubled at the seam.
 */
@Injectable()
export class FeedReader implements BeforeApplicationShutdown {
  private readonly logger = new Logger(FeedReader.name);
  /** The last id delivered (every id up to it is final); null until the first probe. */
  private cursor: bigint | null = null;
  /** Events this process committed, ahead of the cursor (held behind a gap). */
  private readonly known = new Map<bigint, LogEvent>();
  /** The highest id known to be committed (own events and other processes' hints). */
  private highest = 0n;
  private probeDue = true;
  /** While a replay finishes against a busy stream, the fast path waits (see replay()). */
  private holding = false;
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
    return (this.cursor ?? 0n).toString();
  }

  start(sink: FeedSink): void {
    if (this.sink) return;
    this.sink = sink;
    this.bus.onWake((h) => this.hint(h));
    this.loopDone = this.loop();
  }

  /**
   * Events this process has just committed (never call before commit). Delivered at once when
   * they continue the stream; otherwise kept until the gap before them is settled.
   */
  offer(events: LogEvent[]): void {
    this.accept(events);
    if (this.cursor === null || this.highest > this.cursor) this.wake();
  }

  /**
   * Another process committed events up to `upTo` (undefined: it did not say; look), and may have
   * sent them along: committed events, as good as offer()'s.
   */
  hint({ upTo, events }: Hint): void {
    if (upTo === undefined) this.probeDue = true;
    else if (upTo > this.highest) this.highest = upTo;
    if (events?.length) this.accept(events);
    if (upTo === undefined || this.cursor === null || this.highest > this.cursor) this.wake();
  }

  private accept(events: LogEvent[]): void {
    for (const e of events) {
      const id = BigInt(e.id);
      if ((this.cursor === null || id > this.cursor) && this.known.size < KNOWN_MAX) this.known.set(id, e);
      if (id > this.highest) this.highest = id;
    }
    this.drain();
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

  /** Sleeps until wake() or the timeout, whichever comes first; true when woken. */
  private async nap(ms: number): Promise<boolean> {
    const woken = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve(true);
      };
    });
    this.wakeUp = null;
    return woken;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // Nothing for POLL_MS: probe once (a lost hint, a publisher that died after commit, a rollback at the end of the log).
      if (!this.dirty && !(await this.nap(POLL_MS))) this.probeDue = true;
      if (this.stopped) break;
      this.dirty = false;
      try {
        await this.round();
      } catch (e) {
        if (this.stopped) break;
        this.logger.warn(`feed read failed: ${(e as Error).message}`);
        // Start over on a fresh connection (the old one may be broken).
        await this.conn?.release().catch(() => undefined);
        this.conn = null;
        await sleep(250);
        this.probeDue = true;
        this.dirty = true;
      }
    }
  }

  private async round(): Promise<void> {
    this.conn ??= await this.repo.dedicatedConnection();
    if (this.cursor !== null) {
      this.drain();
      // Committed beyond the cursor (own events behind a gap, or a hint): read while ids run on.
      if (this.highest > this.cursor) await this.readContiguous(this.highest);
    }
    if (this.cursor === null || this.highest > this.cursor || this.probeDue) await this.settle();
    await this.serveCatchUps();
  }

  private deliver(e: LogEvent): void {
    this.sink!.broadcast(e, roomsForEvent(e));
    this.cursor = BigInt(e.id);
  }

  /** Fast path: own committed events whose id is the next one expected. */
  private drain(): void {
    if (this.cursor === null || this.holding || !this.sink) return;
    for (let next = this.known.get(this.cursor + 1n); next; next = this.known.get(this.cursor + 1n)) {
      this.known.delete(this.cursor + 1n);
      this.deliver(next);
    }
  }

  /** Drops held events the log path has delivered, then continues from memory. */
  private caughtUp(): void {
    for (const id of this.known.keys()) if (this.cursor !== null && id <= this.cursor) this.known.delete(id);
    this.drain();
  }

  /**
   * Reads (cursor, upTo] and delivers while each row is cursor + 1: committed rows with no hole
   * before them are final, whatever else is in flight. Stops at the first hole.
   */
  private async readContiguous(upTo: bigint): Promise<void> {
    for (;;) {
      const batch = await this.repo.between(this.cursor!, upTo, PAGE, this.conn!);
      let hole = false;
      for (const e of batch) {
        const id = BigInt(e.id);
        if (id <= this.cursor!) continue; // the fast path got there during the read
        if (id !== this.cursor! + 1n) {
          hole = true;
          break;
        }
        this.deliver(e);
      }
      this.caughtUp();
      if (hole || batch.length < PAGE || this.cursor! >= upTo) return;
    }
  }

  /**
   * The gap guard. In one statement: the highest id handed out (M), then the transactions holding
   * a write lock on ticket_events; any transaction owning an id <= M that has not ended is among
   * them. Once exactly those are gone every id <= M is final: read and deliver (cursor, M].
   */
  private async settle(): Promise<void> {
    const conn = this.conn!;
    this.probeDue = false;
    const { allocated: target, writers: inFlight } = await this.repo.watermark(conn);
    if (this.cursor !== null && target < this.cursor) {
      // The log was truncated (tests): start again from its end.
      this.logger.warn(`event log went back from ${this.cursor} to ${target}; following it`);
      this.cursor = target;
      this.known.clear();
      this.highest = target;
      return;
    }
    if (this.cursor !== null && target === this.cursor) return;
    let writers = inFlight;
    let pause = 1;
    while (writers.length && !this.stopped) {
      await this.serveCatchUps();
      // A writer that commits publishes, which wakes us at once; the timeout covers rollbacks and
      // writers that publish nothing.
      await this.nap(pause);
      pause = Math.min(pause * 2, 50);
      // Meanwhile, hinted events with no hole before them need not wait for this probe.
      if (this.cursor !== null && this.highest > this.cursor) await this.readContiguous(this.highest);
      writers = await this.repo.stillWriting(writers, conn);
    }
    if (this.cursor === null) {
      // First probe: history before boot is for replay only. Waiting for the writers above means
      // a replay up to this cursor can never miss an id that was still in flight at boot.
      this.cursor = target;
    } else {
      for (;;) {
        const batch = await this.repo.between(this.cursor, target, PAGE, conn);
        // Every id <= target is final now: a missing one rolled back and never will exist.
        for (const e of batch) if (BigInt(e.id) > this.cursor) this.deliver(e);
        if (batch.length < PAGE) break;
      }
      if (target > this.cursor) this.cursor = target;
    }
    if (target > this.highest) this.highest = target;
    this.caughtUp();
  }

  private async serveCatchUps(): Promise<void> {
    if (!this.pending.length || this.cursor === null) return;
    const waiting: CatchUp[] = [];
    for (const c of this.pending.splice(0)) {
      if (!c.connected()) continue;
      const cursor = this.cursor;
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
      await this.replay(c, c.after);
    }
    this.pending.push(...waiting);
    if (waiting.length) setTimeout(() => this.wake(), 20);
  }

  /**
   * Sends (after, cursor] that this user may see, reading again while the fast path moves the
   * cursor, and joins the rooms in the same tick as it finds nothing left: no event can be
   * emitted in between. On a stream busy enough to keep moving the cursor, the fast path is held
   * for the last stretch (its events wait in `known`, then go out in order).
   */
  private async replay(c: CatchUp, from: bigint): Promise<void> {
    let after = from;
    let tries = 0;
    try {
      for (;;) {
        if (!c.connected()) return;
        const upTo = this.cursor!;
        if (after >= upTo) {
          c.goLive();
          return;
        }
        const batch = await this.repo.between(after, upTo, PAGE, this.conn!);
        for (const e of batch) if (userGets(c.user, e)) c.send(e);
        if (batch.length === PAGE) after = BigInt(batch[batch.length - 1].id);
        else {
          after = upTo;
          if (++tries >= 2) this.holding = true;
        }
      }
    } finally {
      if (this.holding) {
        this.holding = false;
        this.drain();
      }
    }
  }
}
