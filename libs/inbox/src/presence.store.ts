import type Redis from 'ioredis';
import type { OnlineAgentsSource } from '@keepdesk/core';

export type PresenceStatus = 'online' | 'away' | 'offline';
/** One connection's state; several tabs and several instances each hold their own lease. */
export type ConnStatus = Exclude<PresenceStatus, 'offline'>;

export interface PresenceChange {
  userId: string;
  status: PresenceStatus;
  teamIds: string[];
}

/** How long a connection counts without a heartbeat (an instance that died drops out after it). */
export const PRESENCE_LEASE_MS = 30_000;

/**
 * Per-user presence from per-connection leases: online if any live connection is online, away if
 * all are away, offline when none is left. Each mutation returns the user's new status when it
 * changed (decided atomically, so with many instances exactly one reports each change).
 */
export abstract class PresenceStore implements OnlineAgentsSource {
  abstract set(userId: string, conn: string, status: ConnStatus, teamIds: string[]): Promise<PresenceChange | null>;
  abstract remove(userId: string, conn: string): Promise<PresenceChange | null>;
  /** Heartbeat for this instance's connections. */
  abstract refresh(conns: { userId: string; conn: string }[]): Promise<void>;
  /** Drops connections whose lease ran out (their instance died) and reports the changes. */
  abstract sweep(): Promise<PresenceChange[]>;
  abstract statusOf(userIds: string[]): Promise<Map<string, PresenceStatus>>;

  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    const s = await this.statusOf(userIds);
    return new Set([...s].filter(([, v]) => v === 'online').map(([k]) => k));
  }
}

// KEYS: conns zset (conn -> expiry), statuses hash (conn -> status), aggregate key, leases zset, teams key
// ARGV: op (set|del), conn, status, now, expiresAt, leaseMember, teamsJson
const UPDATE = `
local z, h, st, leases, teams = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local op, conn, status, now, exp, member, teamsJson = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
if op == 'set' then
  redis.call('ZADD', z, exp, conn)
  redis.call('HSET', h, conn, status)
  redis.call('ZADD', leases, exp, member)
  if teamsJson ~= '' then redis.call('SET', teams, teamsJson) end
else
  redis.call('ZREM', z, conn)
  redis.call('HDEL', h, conn)
  redis.call('ZREM', leases, member)
end
local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
for _, c in ipairs(expired) do redis.call('HDEL', h, c) end
redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
local agg = 'offline'
for _, s in ipairs(redis.call('HVALS', h)) do
  if s == 'online' then agg = 'online' break end
  agg = 'away'
end
local prev = redis.call('GET', st) or 'offline'
if agg == 'offline' then redis.call('DEL', st, z, h) else redis.call('SET', st, agg) end
if prev ~= agg then return {agg, redis.call('GET', teams) or '[]'} end
return false
`;

// KEYS: conns zset, statuses hash (pairs per user); ARGV: now
const STATUS = `
local out = {}
local now = tonumber(ARGV[1])
for i = 1, #KEYS, 2 do
  local agg = 'offline'
  local live = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')
  for _, c in ipairs(live) do
    local s = redis.call('HGET', KEYS[i + 1], c)
    if s == 'online' then agg = 'online' break end
    if s == 'away' then agg = 'away' end
  end
  out[#out + 1] = agg
end
return out
`;

export class RedisPresenceStore extends PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly leaseMs = PRESENCE_LEASE_MS,
    /** Lease time; a test moves it instead of waiting for leases to run out. */
    private readonly clock: () => number = Date.now,
  ) {
    super();
  }

  private keys(userId: string): string[] {
    const p = `${this.prefix}:presence`;
    return [`${p}:conns:${userId}`, `${p}:status:${userId}`, `${p}:agg:${userId}`, `${p}:leases`, `${p}:teams:${userId}`];
  }

  private async run(op: 'set' | 'del', userId: string, conn: string, status = '', teamIds?: string[]): Promise<PresenceChange | null> {
    const now = this.clock();
    const r = (await this.redis.eval(
      UPDATE,
      5,
      ...this.keys(userId),
      op,
      conn,
      status,
      String(now),
      String(now + this.leaseMs),
      `${userId}|${conn}`,
      teamIds ? JSON.stringify(teamIds) : '',
    )) as [string, string] | null;
    if (!r) return null;
    return { userId, status: r[0] as PresenceStatus, teamIds: JSON.parse(r[1]) as string[] };
  }

  set(userId: string, conn: string, status: ConnStatus, teamIds: string[]) {
    return this.run('set', userId, conn, status, teamIds);
  }

  remove(userId: string, conn: string) {
    return this.run('del', userId, conn);
  }

  /** One pipelined round trip for all of this instance's connections; XX: a removed lease stays removed. */
  async refresh(conns: { userId: string; conn: string }[]): Promise<void> {
    if (!conns.length) return;
    const expiresAt = this.clock() + this.leaseMs;
    const p = this.redis.pipeline();
    for (const c of conns) {
      const [z, , , leases] = this.keys(c.userId);
      p.zadd(z, 'XX', expiresAt, c.conn);
      p.zadd(leases, 'XX', expiresAt, `${c.userId}|${c.conn}`);
    }
    await p.exec();
  }

  async sweep(): Promise<PresenceChange[]> {
    const expired = await this.redis.zrangebyscore(`${this.prefix}:presence:leases`, '-inf', this.clock(), 'LIMIT', 0, 500);
    const out: PresenceChange[] = [];
    for (const m of expired) {
      const i = m.indexOf('|');
      const change = await this.remove(m.slice(0, i), m.slice(i + 1));
      if (change) out.push(change);
    }
    return out;
  }

  async statusOf(userIds: string[]): Promise<Map<string, PresenceStatus>> {
    const out = new Map<string, PresenceStatus>();
    if (!userIds.length) return out;
    const keys = userIds.flatMap((u) => this.keys(u).slice(0, 2));
    const r = (await this.redis.eval(STATUS, keys.length, ...keys, String(this.clock()))) as string[];
    userIds.forEach((u, i) => out.set(u, r[i] as PresenceStatus));
    return out;
  }
}

/** Embedded mode: one process, so memory is the shared state. Same semantics, no leases needed. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly conns = new Map<string, Map<string, ConnStatus>>();
  private readonly teams = new Map<string, string[]>();
  private readonly last = new Map<string, PresenceStatus>();

  private aggregate(userId: string): PresenceStatus {
    const c = this.conns.get(userId);
    if (!c || !c.size) return 'offline';
    return [...c.values()].includes('online') ? 'online' : 'away';
  }

  private changed(userId: string): PresenceChange | null {
    const now = this.aggregate(userId);
    const prev = this.last.get(userId) ?? 'offline';
    this.last.set(userId, now);
    return now === prev ? null : { userId, status: now, teamIds: this.teams.get(userId) ?? [] };
  }

  async set(userId: string, conn: string, status: ConnStatus, teamIds: string[]) {
    this.teams.set(userId, teamIds);
    if (!this.conns.has(userId)) this.conns.set(userId, new Map());
    this.conns.get(userId)!.set(conn, status);
    return this.changed(userId);
  }

  async remove(userId: string, conn: string) {
    this.conns.get(userId)?.delete(conn);
    return this.changed(userId);
  }

  async refresh(): Promise<void> {}

  async sweep(): Promise<PresenceChange[]> {
    return [];
  }

  async statusOf(userIds: string[]) {
    return new Map(userIds.map((u) => [u, this.aggregate(u)] as const));
  }
}
