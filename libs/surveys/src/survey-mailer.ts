import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per mail owed (derived from the survey id): receivers and dedup filters see a resend as the same message. */
  messageId: string;
  headers?: Record<string, string>;
}

/**
 * The send failed before end-of-data: the caller's commit was never written, the server has no
 * complete message (an unterminated DATA is discarded), so the caller rolls back and may retry.
 */
export class MailSendError extends Error {
  constructor(
    message: string,
    readonly responseCode?: number,
    /** The caller's commit() refused (threw): retrying on another connection would not help. */
    readonly declined = false,
  ) {
    super(message);
  }
}

/**
 * What happened once the caller's COMMIT and end-of-data were written (same tick):
 * - accepted: the server answered 250;
 * - refused: the server answered end-of-data with an error: no mail, the caller undoes its commit;
 * - unknown: no answer (timeout, dropped connection): the one window SMTP cannot close.
 * commitError: the COMMIT itself failed after end-of-data went out (the database refused it or
 * the connection broke); the caller repairs its record.
 */
export interface SendResult {
  outcome: 'accepted' | 'refused' | 'unknown';
  detail: string;
  responseCode?: number;
  commitError?: Error;
}

/**
 * Writes the caller's COMMIT to the database socket synchronously and returns its result. It may
 * throw (synchronously) to refuse: then nothing was committed and end-of-data is not written.
 */
export type CommitNow = () => Promise<unknown>;

export interface MailerOptions {
  smtpUrl: string | null;
  outboxDir: string;
  /** Hard limit for one send, connect to end-of-data; the connection is destroyed after it. */
  sendTimeoutMs?: number;
  /**
   * Wait for the server's reply to end-of-data (default max(sendTimeoutMs, 60 s)). Longer than the
   * rest on purpose: giving up here is the one outcome SMTP cannot resolve ("delivery unknown").
   */
  finalReplyTimeoutMs?: number;
  /** SMTP connections, and so sends in flight (slots). */
  maxConnections?: number;
}

type Conn = SMTPConnection & { kdBroken?: boolean; kdReused?: boolean; _socket?: { destroyed?: boolean; writable?: boolean } };

/** The right to one send at a time: the caller reserves it before opening its transaction. */
export interface MailSlot {
  send(mail: OutgoingMail, commit: CommitNow): Promise<SendResult>;
  release(): void;
}

/**
 * Sends mail so that the caller's COMMIT and the SMTP end-of-data (`<CRLF>.<CRLF>`) leave in the
 * same turn of the event loop: once the server took DATA (354) and the body was handed to the
 * socket, commit() writes COMMIT to the database socket, and the terminator follows in the same
 * tick (stream callbacks, no I/O between them). So the caller holds a transaction, ready to
 * commit, over the whole SMTP conversation; a crash before that tick leaves no mail (an
 * unterminated DATA is discarded) and no record, a crash after it leaves both. What remains is
 * microseconds between two write(2)s, and the server's answer to end-of-data, which a crash
 * can lose (RFC 1047).
 *
 * Slots: a caller reserves one before its transaction, so transactions held open across SMTP
 * never outnumber connections (and never wait for one while holding row locks). Connections are
 * pooled by hand (not nodemailer's pool), so a send that times out destroys its own connection and
 * nothing else; nodemailer's pooled transport could hang when a server refused at connect.
 */
export class SurveyMailer {
  private readonly idle: Conn[] = [];
  private readonly waiters: (() => void)[] = [];
  private slots = 0;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly finalReplyMs: number;
  private readonly max: number;
  private readonly smtp: ReturnType<typeof parseConnectionUrl> | null;

  constructor(private readonly opts: MailerOptions) {
    this.timeoutMs = opts.sendTimeoutMs ?? 20000;
    this.finalReplyMs = opts.finalReplyTimeoutMs ?? Math.max(this.timeoutMs, 60000);
    this.max = opts.maxConnections ?? 10;
    this.smtp = opts.smtpUrl ? parseConnectionUrl(opts.smtpUrl) : null;
  }

  get mode(): 'smtp' | 'outbox' {
    return this.smtp ? 'smtp' : 'outbox';
  }

  async build(mail: OutgoingMail): Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> {
    const node = new MailComposer({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers },
    }).compile();
    const raw = await node.build();
    const env = node.getEnvelope();
    return { raw, envelope: { from: env.from || '', to: env.to } };
  }

  async reserve(): Promise<MailSlot> {
    while (this.slots >= this.max) {
      if (this.closed) throw new MailSendError('mailer closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.closed) throw new MailSendError('mailer closed');
    this.slots++;
    let released = false;
    // The connection of the last send stays with the slot until release(): the caller records the
    // server's answer first, so a crash before that leaves the connection open at the crash, the
    // same as a crash before the answer was read.
    let held: { conn: Conn; reusable: boolean } | null = null;
    const letGo = () => {
      if (held) this.release(held.conn, held.reusable);
      held = null;
    };
    return {
      send: async (mail, commit) => {
        letGo();
        const r = await this.send(mail, commit);
        if (r.conn) held = { conn: r.conn, reusable: r.result.outcome === 'accepted' };
        return r.result;
      },
      release: () => {
        if (released) return;
        released = true;
        letGo();
        this.slots--;
        this.waiters.shift()?.();
      },
    };
  }

  /** Within a reserved slot: one connection is always there to take or open. */
  private async send(mail: OutgoingMail, commit: CommitNow): Promise<{ result: SendResult; conn?: Conn }> {
    const { raw, envelope } = await this.build(mail);
    if (!this.smtp) return { result: await this.writeOutbox(mail.messageId, raw, commit) };
    // One retry on a fresh connection when a pooled one turns out dead before anything was written.
    for (let attempt = 0; ; attempt++) {
      const conn = await this.acquire();
      try {
        return { result: await this.sendOn(conn, envelope, raw, commit), conn };
      } catch (e) {
        this.release(conn, false);
        const err = e as MailSendError;
        if (attempt === 0 && err.responseCode === undefined && conn.kdReused && !err.declined) continue;
        throw e;
      }
    }
  }

  private sendOn(conn: Conn, envelope: { from: string; to: string[] }, raw: Buffer, commit: CommitNow): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      let phase: 'envelope' | 'body' | 'ended' = 'envelope';
      let settled = false;
      let commitP: Promise<Error | undefined> = Promise.resolve(undefined);
      const fail = (e: MailSendError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.kdBroken = true;
        conn.close();
        reject(e);
      };
      // After end-of-data, report only once the COMMIT settled too: the caller's undo or repair
      // must never race its own commit.
      const done = (r: Omit<SendResult, 'commitError'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void commitP.then((commitError) => resolve(commitError ? { ...r, commitError } : r));
      };
      const onTimeout = () => {
        conn.kdBroken = true;
        conn.close();
        if (phase === 'ended') done({ outcome: 'unknown', detail: 'no reply to end-of-data within the timeout' });
        else fail(new MailSendError(`SMTP send timed out (${phase})`));
      };
      let timer = setTimeout(onTimeout, this.timeoutMs);
      const finalReplyMs = this.finalReplyMs;
      // COMMIT, then end-of-data, in one tick; refused (nothing committed, DATA left unterminated)
      // if the SMTP connection is already gone or commit() throws.
      const commitAndEnd = () => {
        if (settled || phase !== 'body') return;
        const socket = conn._socket;
        if (!socket || socket.destroyed || socket.writable === false) return fail(new MailSendError('SMTP connection closed before end-of-data'));
        // Everything else first: between COMMIT and end-of-data only the stream callbacks run.
        clearTimeout(timer);
        timer = setTimeout(onTimeout, finalReplyMs);
        phase = 'ended';
        let p: Promise<unknown>;
        try {
          p = commit();
        } catch (e) {
          phase = 'body';
          fail(new MailSendError(`not committed: ${(e as Error).message}`, undefined, true));
          return;
        }
        body.push(null);
        commitP = p.then(
          () => undefined,
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        );
      };
      // The body first, until it has left for the kernel: then only the terminator follows COMMIT.
      const whenBodyWritten = () => {
        if (settled) return;
        const socket = conn._socket as (NodeJS.WritableStream & { writableLength?: number }) | undefined;
        if (socket && (socket.writableLength ?? 0) > 0) socket.once('drain', whenBodyWritten);
        else commitAndEnd();
      };
      const body = new Readable({
        // Called once nodemailer pipes the body, after the server's 354.
        read() {
          if (phase !== 'envelope' || settled) return;
          phase = 'body';
          this.push(raw);
          setImmediate(whenBodyWritten);
        },
      });
      conn.send(envelope, body, (err) => {
        if (!err) return done({ outcome: 'accepted', detail: 'accepted' });
        conn.kdBroken = true;
        const code = (err as { responseCode?: number }).responseCode;
        if (phase === 'ended') {
          done(code ? { outcome: 'refused', detail: `SMTP refused the message: ${err.message}`, responseCode: code } : { outcome: 'unknown', detail: `SMTP: ${err.message}` });
        } else {
          const e = new MailSendError(`SMTP: ${err.message}`, code);
          fail(e);
        }
      });
    });
  }

  private async acquire(): Promise<Conn> {
    for (;;) {
      if (this.closed) throw new MailSendError('mailer closed');
      const c = this.idle.pop();
      if (!c) return this.connect();
      if (c.kdBroken) continue;
      c.kdReused = true;
      return c;
    }
  }

  private release(conn: Conn, reusable: boolean): void {
    if (reusable && !conn.kdBroken && !this.closed) this.idle.push(conn);
    else {
      conn.kdBroken = true;
      conn.close();
    }
  }

  private connect(): Promise<Conn> {
    const s = this.smtp!;
    const conn = new SMTPConnection({
      host: s.host,
      port: s.port,
      secure: s.secure,
      tls: s.tls as never,
      connectionTimeout: Math.min(5000, this.timeoutMs),
      greetingTimeout: Math.min(5000, this.timeoutMs),
      socketTimeout: this.timeoutMs,
    }) as Conn;
    return new Promise<Conn>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.close();
        reject(new MailSendError('SMTP connect timed out'));
      }, this.timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        conn.kdBroken = true;
        conn.close();
        reject(new MailSendError(`SMTP connect: ${e.message}`, (e as { responseCode?: number }).responseCode));
      };
      // A pooled connection that errors or ends while idle is marked and dropped at the next acquire.
      conn.on('error', (e: Error) => {
        conn.kdBroken = true;
        if (!settled) fail(e);
      });
      conn.on('end', () => (conn.kdBroken = true));
      let settled = false;
      conn.connect(() => {
        const ok = () => {
          settled = true;
          clearTimeout(timer);
          resolve(conn);
        };
        if (!s.auth) return ok();
        conn.login({ user: s.auth.user, pass: s.auth.pass }, (err) => (err ? fail(err) : ok()));
      });
    });
  }

  /**
   * No SMTP_URL: the message is written to <dataDir>/outbox under a name derived from its
   * Message-ID, then committed. A crash in between rewrites the same file: no duplicate.
   */
  private async writeOutbox(messageId: string, raw: Buffer, commit: CommitNow): Promise<SendResult> {
    await mkdir(this.opts.outboxDir, { recursive: true });
    const name = messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
    const tmp = join(this.opts.outboxDir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, raw);
    await rename(tmp, join(this.opts.outboxDir, `${name}.eml`));
    // A failed commit leaves the file for the retry to overwrite: not a second mail.
    try {
      await commit();
    } catch (e) {
      throw new MailSendError(`not committed: ${(e as Error).message}`, undefined, true);
    }
    return { outcome: 'accepted', detail: 'written to the outbox' };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.idle.splice(0)) {
      c.kdBroken = true;
      c.quit();
    }
    for (const w of this.waiters.splice(0)) w();
  }
}
