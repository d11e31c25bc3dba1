import { CatchUp, FeedReader } from './feed-reader.service';
import type { InboxRepository, LogEvent } from './inbox.repository';
import type { InboxUser } from './rooms';
import { Hint, WakeBus } from './wake-bus';

/**
 * The event log as the reader sees it: a sequence that hands out ids at insert, transactions that
 * commit or roll back in any order, and the lock table naming the ones still open. Every read can
 * be slowed down, so a test can move the stream while the reader is between two statements.
 */
class FakeLog {
  private seq = 0;
  private readonly rows = new Map<number, { e: LogEvent; tx: string; state: 'open' | 'committed' | 'rolled back' }>();
  readDelay = 0;
  readonly calls = { watermark: 0, stillWriting: 0, between: 0 };

  insert(tx: string): LogEvent {
    const id = ++this.seq;
    const e: LogEvent = { id: String(id), type: 'ticket.updated', ticketId: null, at: new Date().toISOString(), data: { n: id }, teamId: 't1', assigneeId: null };
    this.rows.set(id, { e, tx, state: 'open' });
    return e;
  }

  end(tx: string, how: 'committed' | 'rolled back'): LogEvent[] {
    const mine = [...this.rows.values()].filter((r) => r.tx === tx);
    mine.forEach((r) => (r.state = how));
    return how === 'committed' ? mine.map((r) => r.e) : [];
  }

  private async pause(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.readDelay));
  }

  readonly repo = {
    dedicatedConnection: async () => ({ release: async () => undefined }),
    watermark: async () => {
      this.calls.watermark++;
      await this.pause();
      const writers = [...new Set([...this.rows.values()].filter((r) => r.state === 'open').map((r) => r.tx))];
      return { allocated: BigInt(this.seq), writers };
    },
    stillWriting: async (txs: string[]) => {
      this.calls.stillWriting++;
      await this.pause();
      return txs.filter((tx) => [...this.rows.values()].some((r) => r.tx === tx && r.state === 'open'));
    },
    between: async (after: bigint, upTo: bigint, limit: number) => {
      this.calls.between++;
      await this.pause();
      return [...this.rows.entries()]
        .filter(([id, r]) => r.state === 'committed' && BigInt(id) > after && BigInt(id) <= upTo)
        .sort(([a], [b]) => a - b)
        .slice(0, limit)
        .map(([, r]) => r.e);
    },
  };
}

class FakeBus extends WakeBus {
  listener: ((hint: Hint) => void) | null = null;
  async signal(): Promise<void> {}
  onWake(fn: (hint: Hint) => void): void {
    this.listener = fn;
  }
  async close(): Promise<void> {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string, timeout = 3000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const user: InboxUser = { userId: 'u1', role: 'agent', teamIds: ['t1'], name: 'Ann' };

describe('FeedReader', () => {
  let log: FakeLog;
  let bus: FakeBus;
  let reader: FeedReader;
  let sent: string[];
  /** Sockets that went live: from then on they get what is broadcast. */
  let live: string[][];

  beforeEach(async () => {
    log = new FakeLog();
    bus = new FakeBus();
    reader = new FeedReader(log.repo as unknown as InboxRepository, bus);
    sent = [];
    live = [];
    reader.start({
      broadcast: (e) => {
        sent.push(e.id);
        live.forEach((l) => l.push(e.id));
      },
    });
    await until(() => log.calls.watermark > 0 && reader.position === '0', 'the first probe');
    await sleep(5);
  });
  afterEach(() => reader.beforeApplicationShutdown());

  it('fast path: its own commits go out at once, in order, without a query', () => {
    const before = { ...log.calls };
    const a = log.insert('a');
    const b = log.insert('b');
    reader.offer(log.end('a', 'committed'));
    reader.offer(log.end('b', 'committed'));
    expect(sent).toEqual([a.id, b.id]);
    expect(log.calls).toEqual(before);
  });

  it('an id committed before its smaller neighbour waits for it; a rolled-back id is skipped once its transaction ends', async () => {
    const first = log.insert('first');
    const middle = log.insert('middle');
    const second = log.insert('second');
    reader.offer(log.end('second', 'committed'));
    bus.listener!({ upTo: BigInt(second.id) }); // its own hint, echoed back
    await sleep(60);
    expect(sent).toEqual([]);
    log.end('middle', 'rolled back');
    await sleep(60);
    expect(sent).toEqual([]);
    reader.offer(log.end('first', 'committed'));
    // At once (fast path); the id after it is a hole the reader must settle before `second`.
    expect(sent).toEqual([first.id]);
    await until(() => sent.length === 2, 'second, once the hole is known final');
    expect(sent).toEqual([first.id, second.id]);
    expect(sent).not.toContain(middle.id);
  });

  it('a hint from another process: reads up to it without the in-flight probe while ids run on', async () => {
    await sleep(20);
    const probes = log.calls.watermark;
    const e = log.insert('elsewhere');
    log.end('elsewhere', 'committed');
    bus.listener!({ upTo: BigInt(e.id) });
    await until(() => sent.length === 1, 'the hinted event');
    expect(sent).toEqual([e.id]);
    expect(log.calls.watermark).toBe(probes);
  });

  it('a hint that carries its events: sent at once, no query; behind a hole, held like the fast path', async () => {
    await sleep(20);
    const before = { ...log.calls };
    const a = log.insert('a');
    log.end('a', 'committed');
    bus.listener!({ upTo: BigInt(a.id), events: [a] });
    expect(sent).toEqual([a.id]);
    expect(log.calls).toEqual(before);
    const open = log.insert('open');
    const c = log.insert('c');
    bus.listener!({ upTo: BigInt(c.id), events: log.end('c', 'committed') });
    await sleep(60);
    expect(sent).toEqual([a.id]);
    reader.offer(log.end('open', 'committed'));
    expect(sent).toEqual([a.id, open.id, c.id]);
  });

  it('an event nobody announced (its publisher died after commit) is found by the poll', async () => {
    const e = log.insert('crashed');
    log.end('crashed', 'committed');
    await until(() => sent.length === 1, 'the poll', 2000);
    expect(sent).toEqual([e.id]);
  });

  it('replay reads up to the moving cursor and goes live with no gap and no duplicate, while the fast path keeps committing', async () => {
    const missed = Array.from({ length: 30 }, (_, i) => {
      const e = log.insert(`m${i}`);
      log.end(`m${i}`, 'committed');
      return e.id;
    });
    bus.listener!({ upTo: BigInt(missed[missed.length - 1]) });
    await until(() => sent.length === 30, 'the missed events');
    log.readDelay = 3; // every read takes a while: the stream moves under the replay
    const got: string[] = [];
    const socket: CatchUp = {
      user,
      after: 5n,
      since: Date.now(),
      connected: () => true,
      send: (e) => got.push(e.id),
      goLive: () => live.push(got),
      resync: () => undefined,
    };
    let n = 0;
    const stream = setInterval(() => {
      if (n++ >= 40) return;
      const tx = `live${n}`;
      log.insert(tx);
      reader.offer(log.end(tx, 'committed'));
    }, 1);
    reader.enqueue(socket);
    await until(() => n > 40 && live.length === 1, 'the stream and the socket going live');
    clearInterval(stream);
    await until(() => sent.length === 70, 'every live event');
    expect(got).toEqual(Array.from({ length: 65 }, (_, i) => String(i + 6)));
  });
});
