import { mkdirSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * The embedded PostgreSQL of `npm start` when DATABASE_URL is unset: one PGlite (Postgres in WASM)
 * whose data lives in `<dataDir>/pg`, served over the Postgres wire protocol on a localhost port so
 * the apps connect through the same `pg`/TypeORM path as to a real server.
 *
 * Why not `PGLiteSocketServer` from @electric-sql/pglite-socket: PGlite has ONE backend session, and
 * pglite-socket schedules single protocol messages, so a Parse/Bind/Execute of one client can land
 * between another's, and a client's statements can run inside another client's transaction
 * (electric-sql/pglite#1046). Here each client's messages run as whole batches up to Sync/Query, and
 * a client whose batch leaves a transaction open (ReadyForQuery status T/E) keeps the session until
 * its transaction ends: clients are serialised at transaction granularity, which is what makes a
 * pg Pool of several connections safe on one session.
 */
export interface EmbeddedPostgres {
  /** postgres://… URL for DATABASE_URL. */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Serialises access to the one PGlite session. */
class SessionLock {
  private owner: number | null = null;
  private readonly waiters: { id: number; grant: () => void }[] = [];

  /** Since when the owner holds the session, and the statement it last ran (for the watchdog). */
  since = 0;
  statement = '';

  async acquire(id: number): Promise<void> {
    if (this.owner === id) return;
    if (this.owner === null) {
      this.grantTo(id);
      return;
    }
    await new Promise<void>((grant) => this.waiters.push({ id, grant }));
  }

  release(id: number): void {
    if (this.owner !== id) return;
    const next = this.waiters.shift();
    this.owner = null;
    if (next) {
      this.grantTo(next.id);
      next.grant();
    }
  }

  private grantTo(id: number): void {
    this.owner = id;
    this.since = Date.now();
  }

  /** Who has kept others waiting for longer than `ms`, if anyone. */
  stuck(ms: number): { owner: number; heldMs: number; waiting: number; statement: string } | null {
    if (this.owner === null || !this.waiters.length || Date.now() - this.since < ms) return null;
    return { owner: this.owner, heldMs: Date.now() - this.since, waiting: this.waiters.length, statement: this.statement };
  }

  /** A client that disconnects while waiting must not be granted later. */
  forget(id: number): void {
    const i = this.waiters.findIndex((w) => w.id === id);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  heldBy(id: number): boolean {
    return this.owner === id;
  }
}

/** The SQL of a batch's Query or Parse message (shortened), for diagnostics. */
function statementOf(messages: Buffer[]): string {
  for (const m of messages) {
    if (m[0] === 0x51) return m.subarray(5, Math.min(m.length - 1, 205)).toString(); // Query: text\0
    if (m[0] === 0x50) {
      const name = m.indexOf(0, 5); // Parse: name\0 text\0 …
      const end = m.indexOf(0, name + 1);
      return m.subarray(name + 1, Math.min(end < 0 ? m.length : end, name + 201)).toString();
    }
  }
  return '';
}

/** The transaction status of the last ReadyForQuery ('Z') in a backend output, or null if none. */
function lastReadyStatus(out: Buffer): string | null {
  let status: string | null = null;
  let i = 0;
  while (i + 5 <= out.length) {
    const type = out[i];
    const len = out.readInt32BE(i + 1);
    if (type === 0x5a && i + 5 < out.length) status = String.fromCharCode(out[i + 5]);
    i += 1 + len;
  }
  return status;
}

class Connection {
  private buffer = Buffer.alloc(0);
  private started = false;
  private batch: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly db: PGlite,
    private readonly lock: SessionLock,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const len = this.buffer.readInt32BE(0);
        if (this.buffer.length < len) return;
        const code = this.buffer.readInt32BE(4);
        const msg = this.buffer.subarray(0, len);
        this.buffer = this.buffer.subarray(len);
        if (code === SSL_REQUEST) {
          this.socket.write('N');
        } else if (code === CANCEL_REQUEST) {
          this.socket.end();
          return;
        } else if (code === PROTOCOL_3) {
          this.started = true;
          this.enqueue([Buffer.from(msg)]);
        } else {
          this.socket.destroy();
          return;
        }
        continue;
      }
      if (this.buffer.length < 5) return;
      const len = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < len) return;
      const msg = Buffer.from(this.buffer.subarray(0, len));
      this.buffer = this.buffer.subarray(len);
      const type = String.fromCharCode(msg[0]);
      if (type === 'X') {
        this.socket.end();
        this.close();
        return;
      }
      this.batch.push(msg);
      // Sync ends an extended-protocol batch, Query is a whole simple-protocol batch, Flush asks
      // for output now; CopyDone/CopyFail end a COPY FROM STDIN.
      if (type === 'S' || type === 'Q' || type === 'H' || type === 'c' || type === 'f') {
        const batch = this.batch;
        this.batch = [];
        this.enqueue(batch);
      }
    }
  }

  private enqueue(messages: Buffer[]): void {
    this.chain = this.chain.then(() => this.run(messages)).catch(() => {
      this.socket.destroy();
    });
  }

  private async run(messages: Buffer[]): Promise<void> {
    if (this.closed) return;
    await this.lock.acquire(this.id);
    if (this.closed) {
      await this.endSession();
      return;
    }
    const statement = statementOf(messages);
    if (statement) this.lock.statement = statement;
    const out: Buffer[] = [];
    for (const m of messages) {
      await this.db.execProtocolRawStream(new Uint8Array(m), { onRawData: (d: Uint8Array) => out.push(Buffer.from(d)) });
    }
    const output = Buffer.concat(out);
    if (output.length && !this.socket.destroyed) this.socket.write(output);
    // Keep the session while a transaction is open (T, or E = failed and awaiting ROLLBACK) or
    // while a batch ended without ReadyForQuery (Flush mid-exchange).
    if (lastReadyStatus(output) === 'I') this.lock.release(this.id);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lock.forget(this.id);
    this.chain = this.chain.then(() => this.endSession());
  }

  /** A client gone mid-transaction must not leave the one session inside it. */
  private async endSession(): Promise<void> {
    if (!this.lock.heldBy(this.id)) return;
    try {
      await this.db.exec('ROLLBACK');
    } catch {
      // no transaction open: nothing to undo
    }
    this.lock.release(this.id);
  }
}

/** Starts PGlite on `<dataDir>/pg` and serves it on 127.0.0.1:port (0 = a free port). */
export async function startEmbeddedPostgres(opts: { dataDir: string; port?: number }): Promise<EmbeddedPostgres> {
  const pgDir = join(opts.dataDir, 'pg');
  mkdirSync(pgDir, { recursive: true });
  const db = await PGlite.create({ dataDir: pgDir });
  const lock = new SessionLock();
  let nextId = 1;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Connection(nextId++, socket, db, lock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Clients are serialised per transaction: one that keeps a transaction open while it waits for
  // another client (a query outside its transaction) stalls everyone. Say who, once per holding.
  let reported = 0;
  const watchdog = setInterval(() => {
    const s = lock.stuck(10000);
    if (!s || reported === lock.since) return;
    reported = lock.since;
    process.stderr.write(
      `embedded PostgreSQL: connection #${s.owner} has kept a transaction open for ${(s.heldMs / 1000).toFixed(0)} s while ${s.waiting} other(s) wait; last statement: ${s.statement.replace(/\s+/g, ' ').trim()}\n`,
    );
  }, 5000);
  watchdog.unref();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: pgDir,
    async stop() {
      clearInterval(watchdog);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
