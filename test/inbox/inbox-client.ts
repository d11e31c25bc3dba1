import { io, Socket } from 'socket.io-client';

export interface Envelope {
  id: string;
  type: string;
  ticketId: string | null;
  at: string;
  data: Record<string, any>;
}

const DURABLE = new Set(['ticket.created', 'ticket.updated', 'ticket.assigned', 'message.created', 'sla.warning', 'sla.breached', 'survey.responded', 'survey.low_score']);

/**
 * A real socket.io-client on /inbox that buffers every event from the moment it connects, so a
 * wait can never miss an event that arrived before the wait began.
 */
export class InboxClient {
  readonly events: Envelope[] = [];
  private waiters: (() => void)[] = [];
  readyAt = -1;

  private constructor(readonly socket: Socket) {
    socket.onAny((name: string, payload: unknown) => {
      if (name === 'inbox.ready') this.readyAt = this.events.length;
      else this.events.push(payload as Envelope);
      this.waiters.forEach((w) => w());
    });
  }

  /** Connects and resolves once replay is done and the socket is live (inbox.ready). */
  static async connect(url: string, auth: Record<string, unknown>, timeout = 10000): Promise<InboxClient> {
    const socket = io(`${url}/inbox`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    const client = new InboxClient(socket);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('inbox did not become ready')), timeout);
      socket.once('connect_error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      socket.once('inbox.ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return client;
  }

  /** The handshake's refusal (connect_error), for clients that must not get in. */
  static async refusal(url: string, auth: Record<string, unknown>): Promise<Error & { data?: { code: string; message: string } }> {
    const socket = io(`${url}/inbox`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      return await new Promise((resolve, reject) => {
        socket.once('connect_error', resolve);
        socket.once('connect', () => reject(new Error('connected, expected a refusal')));
      });
    } finally {
      socket.close();
    }
  }

  durable(): Envelope[] {
    return this.events.filter((e) => DURABLE.has(e.type));
  }

  async waitFor(pred: (e: Envelope) => boolean, what: string, timeout = 10000): Promise<Envelope> {
    const found = await this.waitUntil(() => this.events.find(pred), what, timeout);
    return found;
  }

  async waitUntil<T>(check: () => T | undefined | false, what: string, timeout = 10000): Promise<T> {
    const now = check();
    if (now) return now;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}; got ${this.events.map((e) => `${e.id}:${e.type}`).join(', ')}`));
      }, timeout);
      const waiter = () => {
        const v = check();
        if (!v) return;
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(v);
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * A client → server message with its ack. When the handler throws, Nest answers with an
   * `exception` event and no ack: fail with its message rather than a bare "operation has timed out".
   */
  async emit<T = any>(event: string, body: unknown): Promise<T> {
    let onException: ((e: unknown) => void) | undefined;
    const thrown = new Promise<never>((_, reject) => {
      onException = (e) => reject(new Error(`${event}: the server threw instead of acking: ${JSON.stringify(e)}`));
      this.socket.once('exception', onException);
    });
    try {
      return await Promise.race([this.socket.timeout(5000).emitWithAck(event, body) as Promise<T>, thrown]);
    } finally {
      this.socket.off('exception', onException);
    }
  }

  close(): void {
    this.socket.close();
  }
}
