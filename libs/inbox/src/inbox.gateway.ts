import { BeforeApplicationShutdown, Inject, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { createAdapter } from '@socket.io/redis-adapter';
import { APP_CONFIG, AppConfig, Metrics, REDIS } from '@keepdesk/core';
import { Gauge, Histogram } from 'prom-client';
import { AuthTokens, IdentityRepository } from '@keepdesk/identity';
import type Redis from 'ioredis';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Namespace, Server, Socket } from 'socket.io';
import { FeedReader } from './feed-reader.service';
import { InboxRepository, LogEvent } from './inbox.repository';
import { ConnStatus, PresenceChange, PresenceStore } from './presence.store';
import { entitled, InboxUser, roomsForUser, SUPERVISORS_ROOM, teamRoom, ticketRoom, userRoom } from './rooms';
import { TYPING_MS, Viewer, ViewingStore } from './viewing.store';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEARTBEAT_MS = 10_000;
const EPHEMERAL = 'inbox.ephemeral';

interface SocketState {
  user: InboxUser;
  after: bigint | null;
  conn: string;
  status: ConnStatus;
  viewing: string | null;
  typingUntil: number;
  typingTimer: NodeJS.Timeout | null;
  /** Disconnected (or the instance is stopping): its presence and viewing were removed. */
  released: boolean;
}

/** presence.updated and ticket.viewing: not in the durable log, carried between instances by the adapter. */
interface Ephemeral {
  type: 'presence.updated' | 'ticket.viewing';
  ticketId: string | null;
  data: Record<string, unknown>;
  rooms: string[];
  at: string;
}

type Ack = { ok: true; viewers?: Viewer[]; status?: string } | { ok: false; error: string };

export function envelope(e: Pick<LogEvent, 'id' | 'type' | 'ticketId' | 'at' | 'data'>) {
  return { id: e.id, type: e.type, ticketId: e.ticketId, at: e.at, data: e.data };
}

/** A connect_error the client can read: err.message, and err.data.code. */
function refusal(code: string, message: string): Error {
  return Object.assign(new Error(message), { data: { code, message } });
}

/**
 * The /inbox namespace: authenticates the handshake, replays then streams the event log (through
 * FeedReader), and keeps presence and viewing in their stores. See libs/inbox/README.md.
 */
@WebSocketGateway({ namespace: '/inbox' })
export class InboxGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(InboxGateway.name);
  private readonly instance = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private ns: Namespace | null = null;
  private timer: NodeJS.Timeout | null = null;
  private adapterClients: Redis[] = [];
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly tokens: AuthTokens,
    private readonly users: IdentityRepository,
    private readonly reader: FeedReader,
    private readonly repo: InboxRepository,
    private readonly presence: PresenceStore,
    private readonly viewing: ViewingStore,
    metrics: Metrics,
  ) {
    const sockets = () => this.ns?.sockets.size ?? 0;
    new Gauge({ name: 'keepdesk_inbox_sockets', help: 'Inbox sockets connected to this instance', registers: [metrics.registry], collect() { this.set(sockets()); } });
    this.lag = new Histogram({
      name: 'keepdesk_inbox_feed_lag_seconds',
      help: 'From the start of the transaction that wrote an event to its broadcast by this instance',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [metrics.registry],
    });
  }

  private readonly lag: Histogram;

  afterInit(ns: Namespace): void {
    this.ns = ns;
    if (this.redis) this.installRedisAdapter(ns.server);
    ns.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (e: Error & { data?: unknown }) => {
          if (!e.data) this.logger.warn(`handshake failed: ${e.message}`);
          next(e.data ? e : refusal('unavailable', 'Could not check the token right now: retry'));
        },
      );
    });
    ns.on(EPHEMERAL, (m: Ephemeral) => this.deliverEphemeral(m));
    this.reader.start({
      broadcast: (e, rooms) => {
        ns.local.to(rooms).emit(e.type, envelope(e));
        this.lag.observe(Math.max(0, Date.now() - Date.parse(e.at)) / 1000);
      },
    });
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Rooms live in each instance; the adapter carries broadcasts and server-side messages between them. */
  private installRedisAdapter(server: Server): void {
    const marker = server as Server & { __keepdeskAdapter?: boolean };
    if (marker.__keepdeskAdapter) return;
    marker.__keepdeskAdapter = true;
    const pub = this.redis!.duplicate({ connectionName: 'keepdesk-io-pub' });
    const sub = this.redis!.duplicate({ connectionName: 'keepdesk-io-sub' });
    this.adapterClients.push(pub, sub);
    server.adapter(createAdapter(pub, sub, { key: `${this.config.redisPrefix}:socket.io` }));
  }

  private async authenticate(socket: Socket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; lastEventId?: unknown };
    if (typeof auth.token !== 'string' || !auth.token) {
      throw refusal('unauthorized', 'No token: connect with auth: { token: <access token from POST /api/auth/login> }');
    }
    const claims = this.tokens.verify(auth.token);
    if (!claims) throw refusal('unauthorized', 'The access token is invalid or expired');
    const user = await this.users.findUserById(claims.sub);
    if (!user || !user.active) throw refusal('unauthorized', 'The user of this token no longer exists or is deactivated');
    let after: bigint | null = null;
    if (auth.lastEventId !== undefined && auth.lastEventId !== null && auth.lastEventId !== '') {
      const raw = String(auth.lastEventId);
      if (!/^\d{1,19}$/.test(raw) || BigInt(raw) > 9223372036854775807n) {
        throw refusal('invalid', `auth.lastEventId must be an event id (a whole number), got "${raw.slice(0, 40)}"`);
      }
      after = BigInt(raw);
    }
    const state: SocketState = {
      user: { userId: user.id, role: user.role, teamIds: user.teamIds, name: user.name },
      after,
      conn: `${this.instance}:${socket.id}`,
      status: 'online',
      viewing: null,
      typingUntil: 0,
      typingTimer: null,
      released: false,
    };
    socket.data = state;
  }

  private state(socket: Socket): SocketState {
    return socket.data as SocketState;
  }

  async handleConnection(socket: Socket): Promise<void> {
    const s = this.state(socket);
    if (!s?.user) return;
    this.reader.enqueue({
      user: s.user,
      after: s.after,
      since: Date.now(),
      connected: () => socket.connected,
      send: (e) => socket.emit(e.type, envelope(e)),
      resync: (from, to) => socket.emit('inbox.resync', { fromId: from.toString(), toId: to.toString(), reason: 'too many missed events to replay: reload the lists' }),
      goLive: () => {
        socket.join(roomsForUser(s.user));
        socket.emit('inbox.ready', { lastEventId: this.reader.position });
      },
    });
    await this.announce(await this.presence.set(s.user.userId, s.conn, 'online', s.user.teamIds).catch((e) => this.fail(e)));
    // Dropped while the lease was being written: take it back rather than wait for it to expire.
    if (s.released) await this.announce(await this.presence.remove(s.user.userId, s.conn).catch((e) => this.fail(e)));
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    const s = this.state(socket);
    if (!s?.user || s.released) return;
    await this.release(s);
  }

  /** Presence and viewing of a connection that is gone (or of every local one at shutdown). */
  private async release(s: SocketState): Promise<void> {
    const conn = s.conn;
    s.released = true;
    if (s.typingTimer) clearTimeout(s.typingTimer);
    if (s.viewing) {
      const ticketId = s.viewing;
      s.viewing = null;
      const viewers = await this.viewing.leave(ticketId, conn).catch((e) => this.fail(e));
      if (viewers) this.emitEphemeral(this.viewingEvent(ticketId, viewers));
    }
    await this.announce(await this.presence.remove(s.user.userId, conn).catch((e) => this.fail(e)));
  }

  /** A clean stop tells the others at once instead of leaving leases to expire; Redis is still up here. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.ns) return;
    const states = [...this.ns.sockets.values()].map((x) => this.state(x)).filter((s) => s?.user && !s.released);
    await Promise.all(states.map((s) => this.release(s)));
    this.closing = true;
  }

  @SubscribeMessage('presence.set')
  async setPresence(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const status = (body as { status?: unknown } | null)?.status;
    if (status !== 'online' && status !== 'away') return { ok: false, error: 'status must be online or away' };
    const s = this.state(socket);
    if (s.released) return { ok: false, error: 'disconnected' };
    s.status = status;
    await this.announce(await this.presence.set(s.user.userId, s.conn, status, s.user.teamIds));
    return { ok: true, status };
  }

  @SubscribeMessage('ticket.view')
  async view(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const ticketId = await this.checkTicket(socket, body);
    if (typeof ticketId !== 'string') return ticketId;
    return { ok: true, viewers: await this.enterTicket(socket, ticketId, false) };
  }

  @SubscribeMessage('ticket.typing')
  async typing(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const ticketId = await this.checkTicket(socket, body);
    if (typeof ticketId !== 'string') return ticketId;
    return { ok: true, viewers: await this.enterTicket(socket, ticketId, true) };
  }

  @SubscribeMessage('ticket.leave')
  async leave(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const ticketId = (body as { ticketId?: unknown } | null)?.ticketId;
    if (typeof ticketId !== 'string' || !UUID.test(ticketId)) return { ok: false, error: 'ticketId must be a UUID' };
    if (this.state(socket).viewing === ticketId) await this.leaveTicket(socket, ticketId);
    return { ok: true };
  }

  private async checkTicket(socket: Socket, body: unknown): Promise<string | Ack> {
    const ticketId = (body as { ticketId?: unknown } | null)?.ticketId;
    if (typeof ticketId !== 'string' || !UUID.test(ticketId)) return { ok: false, error: 'ticketId must be a UUID' };
    const s = this.state(socket);
    if (s.viewing === ticketId) return ticketId;
    const t = await this.repo.ticketRouting(ticketId);
    if (!t || !entitled(s.user, t)) return { ok: false, error: `ticketId: ticket ${ticketId} not found` };
    return ticketId;
  }

  private async enterTicket(socket: Socket, ticketId: string, typing: boolean): Promise<Viewer[]> {
    const s = this.state(socket);
    if (s.viewing && s.viewing !== ticketId) await this.leaveTicket(socket, s.viewing);
    const wasViewing = s.viewing === ticketId;
    const wasTyping = wasViewing && s.typingUntil > Date.now();
    s.viewing = ticketId;
    socket.join(ticketRoom(ticketId));
    if (typing) {
      s.typingUntil = Date.now() + TYPING_MS;
      if (s.typingTimer) clearTimeout(s.typingTimer);
      s.typingTimer = setTimeout(() => void this.stopTyping(socket, ticketId), TYPING_MS);
    }
    const viewers = await this.viewing.view(ticketId, s.conn, { userId: s.user.userId, name: s.user.name }, s.typingUntil);
    // Repeated typing keystrokes only extend the mark; others are told when it starts and stops.
    if (!wasViewing || typing !== wasTyping) this.emitEphemeral(this.viewingEvent(ticketId, viewers));
    return viewers;
  }

  private async stopTyping(socket: Socket, ticketId: string): Promise<void> {
    const s = this.state(socket);
    s.typingTimer = null;
    if (!socket.connected || s.viewing !== ticketId) return;
    s.typingUntil = 0;
    const viewers = await this.viewing.view(ticketId, s.conn, { userId: s.user.userId, name: s.user.name }, 0).catch((e) => this.fail(e));
    if (viewers) this.emitEphemeral(this.viewingEvent(ticketId, viewers));
  }

  private async leaveTicket(socket: Socket, ticketId: string): Promise<void> {
    const s = this.state(socket);
    s.viewing = null;
    s.typingUntil = 0;
    if (s.typingTimer) clearTimeout(s.typingTimer);
    s.typingTimer = null;
    socket.leave(ticketRoom(ticketId));
    const viewers = await this.viewing.leave(ticketId, s.conn);
    this.emitEphemeral(this.viewingEvent(ticketId, viewers));
  }

  private viewingEvent(ticketId: string, viewers: Viewer[]): Ephemeral {
    return { type: 'ticket.viewing', ticketId, data: { ticketId, viewers }, rooms: [ticketRoom(ticketId)], at: new Date().toISOString() };
  }

  private async announce(change: PresenceChange | null | undefined): Promise<void> {
    if (!change) return;
    this.emitEphemeral({
      type: 'presence.updated',
      ticketId: null,
      data: { userId: change.userId, status: change.status },
      rooms: [SUPERVISORS_ROOM, userRoom(change.userId), ...change.teamIds.map(teamRoom)],
      at: new Date().toISOString(),
    });
  }

  /** To every instance (adapter) and this one; each stamps it with its own reader position. */
  private emitEphemeral(m: Ephemeral): void {
    if (!this.ns || this.closing) return;
    if (this.redis && this.adapterClients[0]?.status === 'ready') this.ns.serverSideEmit(EPHEMERAL, m);
    this.deliverEphemeral(m);
  }

  /**
   * The id of an ephemeral event is this instance's reader position: a client that stores it as
   * lastEventId has already received every durable event up to it, so replay stays exact.
   */
  private deliverEphemeral(m: Ephemeral): void {
    this.ns?.local.to(m.rooms).emit(m.type, { id: this.reader.position, type: m.type, ticketId: m.ticketId, at: m.at, data: m.data });
  }

  private async heartbeat(): Promise<void> {
    if (!this.ns || this.closing) return;
    try {
      const sockets = [...this.ns.sockets.values()].map((x) => this.state(x)).filter((s) => s?.user);
      await this.presence.refresh(sockets.map((s) => ({ userId: s.user.userId, conn: s.conn })));
      await this.viewing.refresh(sockets.filter((s) => s.viewing).map((s) => ({ ticketId: s.viewing!, conn: s.conn })));
      for (const change of await this.presence.sweep()) await this.announce(change);
      for (const v of await this.viewing.sweep()) this.emitEphemeral(this.viewingEvent(v.ticketId, v.viewers));
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): undefined {
    this.logger.warn(`inbox: ${(e as Error).message}`);
    return undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.adapterClients.map((c) => c.quit().catch(() => undefined)));
  }
}
