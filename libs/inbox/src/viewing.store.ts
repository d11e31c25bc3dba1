import type Redis from 'ioredis';

export interface Viewer {
  userId: string;
  name: string;
  typing: boolean;
}

export interface ViewingChange {
  ticketId: string;
  viewers: Viewer[];
}

export const VIEWING_LEASE_MS = 30_000;
/** A typing mark lasts this long unless the client sends ticket.typing again. */
export const TYPING_MS = 5_000;

interface Entry {
  userId: string;
  name: string;
  typingUntil: number;
  expiresAt: number;
}

/** One entry per user: several tabs of one agent show once, typing if any tab types. */
export function viewersOf(entries: Entry[], now: number): Viewer[] {
  const byUser = new Map<string, Viewer>();
  for (const e of entries) {
    if (e.expiresAt <= now) continue;
    const v = byUser.get(e.userId) ?? { userId: e.userId, name: e.name, typing: false };
    v.typing ||= e.typingUntil > now;
    byUser.set(e.userId, v);
  }
  return [...byUser.values()].sort((a, b) => a.userId.localeCompare(b.userId));
}

/**
 * Who is looking at (or typing in) which ticket: collision detection. Entries are per connection
 * with a lease, so a dead instance's viewers drop out; a clean leave or disconnect removes them at once.
 */
export abstract class ViewingStore {
  abstract view(ticketId: string, conn: string, who: { userId: string; name: string }, typingUntil?: number): Promise<Viewer[]>;
  abstract leave(ticketId: string, conn: string): Promise<Viewer[]>;
  abstract list(ticketId: string): Promise<Viewer[]>;
  abstract refresh(entries: { ticketId: string; conn: string }[]): Promise<void>;
  abstract sweep(): Promise<ViewingChange[]>;
}

export class RedisViewingStore extends ViewingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  private key = (ticketId: string) => `${this.prefix}:viewing:${ticketId}`;
  private get leases() {
    return `${this.prefix}:viewing:leases`;
  }

  async view(ticketId: string, conn: string, who: { userId: string; name: string }, typingUntil = 0): Promise<Viewer[]> {
    const expiresAt = Date.now() + VIEWING_LEASE_MS;
    const entry: Entry = { ...who, typingUntil, expiresAt };
    await this.redis
      .multi()
      .hset(this.key(ticketId), conn, JSON.stringify(entry))
      .pexpire(this.key(ticketId), VIEWING_LEASE_MS * 2)
      .zadd(this.leases, expiresAt, `${ticketId}|${conn}`)
      .exec();
    return this.list(ticketId);
  }

  async leave(ticketId: string, conn: string): Promise<Viewer[]> {
    await this.redis.multi().hdel(this.key(ticketId), conn).zrem(this.leases, `${ticketId}|${conn}`).exec();
    return this.list(ticketId);
  }

  /** The lease (in the leases zset) is what keeps an entry alive; the hash holds who and typing. */
  async list(ticketId: string): Promise<Viewer[]> {
    const all = await this.redis.hgetall(this.key(ticketId));
    const conns = Object.keys(all);
    if (!conns.length) return [];
    const scores = await this.redis.zmscore(this.leases, ...conns.map((c) => `${ticketId}|${c}`));
    const entries = conns.map((c, i) => ({ ...(JSON.parse(all[c]) as Entry), expiresAt: Number(scores[i] ?? 0) }));
    return viewersOf(entries, Date.now());
  }

  async refresh(entries: { ticketId: string; conn: string }[]): Promise<void> {
    if (!entries.length) return;
    const expiresAt = Date.now() + VIEWING_LEASE_MS;
    const m = this.redis.multi();
    for (const e of entries) {
      m.zadd(this.leases, 'XX', expiresAt, `${e.ticketId}|${e.conn}`);
      m.pexpire(this.key(e.ticketId), VIEWING_LEASE_MS * 2);
    }
    await m.exec();
  }

  async sweep(): Promise<ViewingChange[]> {
    const expired = await this.redis.zrangebyscore(this.leases, '-inf', Date.now(), 'LIMIT', 0, 500);
    const tickets = new Set<string>();
    for (const m of expired) {
      const i = m.indexOf('|');
      // Only the instance that removes the lease reports the change.
      if ((await this.redis.zrem(this.leases, m)) === 0) continue;
      await this.redis.hdel(this.key(m.slice(0, i)), m.slice(i + 1));
      tickets.add(m.slice(0, i));
    }
    return Promise.all([...tickets].map(async (ticketId) => ({ ticketId, viewers: await this.list(ticketId) })));
  }
}

export class MemoryViewingStore extends ViewingStore {
  private readonly tickets = new Map<string, Map<string, Entry>>();

  async view(ticketId: string, conn: string, who: { userId: string; name: string }, typingUntil = 0) {
    if (!this.tickets.has(ticketId)) this.tickets.set(ticketId, new Map());
    this.tickets.get(ticketId)!.set(conn, { ...who, typingUntil, expiresAt: Number.MAX_SAFE_INTEGER });
    return this.list(ticketId);
  }

  async leave(ticketId: string, conn: string) {
    const t = this.tickets.get(ticketId);
    t?.delete(conn);
    if (t && !t.size) this.tickets.delete(ticketId);
    return this.list(ticketId);
  }

  async list(ticketId: string) {
    return viewersOf([...(this.tickets.get(ticketId)?.values() ?? [])], Date.now());
  }

  async refresh(): Promise<void> {}

  async sweep(): Promise<ViewingChange[]> {
    return [];
  }
}
