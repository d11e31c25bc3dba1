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
 * Why the send failed, and whether the mail might still have gone out:
 * - committed=false: the commit hook never ran or aborted; the server has no complete message.
 * - committed=true, delivered='no': the server refused the message after end-of-data, or
 *   end-of-data was never written; the caller undoes its commit.
 * - committed=true, delivered='unknown': end-of-data was written and no reply came (timeout,
 *   dropped connection): the one window SMTP cannot close.
 */
export class MailSendError extends Error {
  constructor(
    message: string,
    readonly committed: boolean,
    readonly delivered: 'no' | 'unknown',
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

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
  maxConnections?: number;
}

type Conn = SMTPConnection & { kdBroken?: boolean };

/**
 * Sends one mail with a commit hook between "the server has the whole message" and "the server
 * accepts it": commit() runs once DATA was accepted (354) and before the final `<CRLF>.<CRLF>`;
 * only if it resolves true is the terminator written. The caller commits "sent" to the database
 * in that hook, so a crash before it leaves no mail on the server (an unterminated DATA is
 * discarded) and a worker that lost its claim cannot send. Connections are pooled by hand (not
 * nodemailer's pool) so that a send that times out destroys its own connection and nothing else;
 * nodemailer's pooled transport could hang when a server refused at connect.
 */
export class SurveyMailer {
  private readonly idle: Conn[] = [];
  private readonly waiters: (() => void)[] = [];
  private open = 0;
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

  /** Resolves when the server accepted the mail (250); false when commit() declined (nothing sent). */
  async send(mail: OutgoingMail, commit: () => Promise<boolean>): Promise<boolean> {
    const { raw, envelope } = await this.build(mail);
    if (!this.smtp) return this.writeOutbox(mail.messageId, raw, commit);
    // One retry on a fresh connection when a pooled one turns out dead before anything was committed.
    for (let attempt = 0; ; attempt++) {
      const conn = await this.acquire();
      try {
        const ok = await this.sendOn(conn, envelope, raw, commit);
        this.release(conn, true);
        return ok;
      } catch (e) {
        this.release(conn, false);
        const err = e as MailSendError;
        if (attempt === 0 && !err.committed && err.responseCode === undefined && (conn as { kdReused?: boolean }).kdReused) continue;
        throw e;
      }
    }
  }

  private sendOn(conn: Conn, envelope: { from: string; to: string[] }, raw: Buffer, commit: () => Promise<boolean>): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let phase: 'envelope' | 'committing' | 'declined' | 'ended' = 'envelope';
      let settled = false;
      let commitP: Promise<unknown> = Promise.resolve();
      // A failure while the commit is in flight is reported only once it settled, so the caller's
      // undo never races its own commit.
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (phase === 'committing') void commitP.catch(() => undefined).then(fn);
        else fn();
      };
      const onTimeout = () => {
        conn.kdBroken = true;
        conn.close();
        finish(() =>
          reject(
            phase === 'ended'
              ? new MailSendError('no reply to end-of-data within the send timeout', true, 'unknown')
              : new MailSendError(`SMTP send timed out (${phase})`, phase === 'committing', 'no'),
          ),
        );
      };
      let timer = setTimeout(onTimeout, this.timeoutMs);
      const finalReplyMs = this.finalReplyMs;
      const body = new Readable({
        read() {
          if (phase !== 'envelope') return;
          phase = 'committing';
          this.push(raw);
          commitP = commit().then(
            (ok) => {
              if (settled) return; // timed out meanwhile: the connection is gone, the terminator never written
              if (!ok) {
                phase = 'declined';
                conn.kdBroken = true;
                conn.close();
                finish(() => resolve(false));
                return;
              }
              phase = 'ended';
              clearTimeout(timer);
              timer = setTimeout(onTimeout, finalReplyMs);
              this.push(null);
            },
            (e: Error) => {
              phase = 'declined';
              conn.kdBroken = true;
              conn.close();
              finish(() => reject(new MailSendError(`commit failed: ${e.message}`, false, 'no')));
            },
          );
        },
      });
      conn.send(envelope, body, (err, info) => {
        if (!err) return finish(() => resolve(true));
        conn.kdBroken = true;
        const code = (err as { responseCode?: number }).responseCode;
        if (phase === 'declined') return;
        if (phase === 'ended') {
          finish(() =>
            reject(code ? new MailSendError(`SMTP refused the message: ${err.message}`, true, 'no', code) : new MailSendError(`SMTP: ${err.message}`, true, 'unknown')),
          );
        } else {
          finish(() => reject(new MailSendError(`SMTP: ${err.message}`, phase === 'committing', 'no', code)));
        }
        void info;
      });
    });
  }

  private async acquire(): Promise<Conn> {
    for (;;) {
      if (this.closed) throw new MailSendError('mailer closed', false, 'no');
      const c = this.idle.pop();
      if (c) {
        if (c.kdBroken) {
          this.open--;
          continue;
        }
        (c as { kdReused?: boolean }).kdReused = true;
        return c;
      }
      if (this.open < this.max) {
        this.open++;
        try {
          return await this.connect();
        } catch (e) {
          this.open--;
          this.wake();
          throw e;
        }
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private release(conn: Conn, reusable: boolean): void {
    if (reusable && !conn.kdBroken && !this.closed) this.idle.push(conn);
    else {
      conn.kdBroken = true;
      conn.close();
      this.open--;
    }
    this.wake();
  }

  private wake(): void {
    this.waiters.shift()?.();
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
        reject(new MailSendError('SMTP connect timed out', false, 'no'));
      }, this.timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        conn.kdBroken = true;
        conn.close();
        reject(new MailSendError(`SMTP connect: ${e.message}`, false, 'no', (e as { responseCode?: number }).responseCode));
      };
      // A pooled connection that errors or ends while idle is marked and dropped at the next acquire.
      conn.on('error', (e: Error) => {
        conn.kdBroken = true;
        if (!settled) fail(e);
      });
      conn.on('end', () => (conn.kdBroken = true));
      let settled = false;
      conn.connect(() => {
        const done = () => {
          settled = true;
          clearTimeout(timer);
          resolve(conn);
        };
        if (!s.auth) return done();
        conn.login({ user: s.auth.user, pass: s.auth.pass }, (err) => (err ? fail(err) : done()));
      });
    });
  }

  /**
   * No SMTP_URL: the message is written to <dataDir>/outbox under a name derived from its
   * Message-ID, then committed. A crash in between rewrites the same file: no duplicate.
   */
  private async writeOutbox(messageId: string, raw: Buffer, commit: () => Promise<boolean>): Promise<boolean> {
    await mkdir(this.opts.outboxDir, { recursive: true });
    const name = messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
    const tmp = join(this.opts.outboxDir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, raw);
    await rename(tmp, join(this.opts.outboxDir, `${name}.eml`));
    return commit();
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
