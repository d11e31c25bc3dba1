import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SinkMail {
  to: string;
  subject: string;
  messageId: string;
  ticketId: string | null;
  surveyId: string | null;
  text: string;
  raw: string;
  at: number;
}

/** Decodes what nodemailer may have encoded (quoted-printable bodies, RFC 2047 subjects). */
function decodeQp(s: string): string {
  const bytes = Buffer.from(s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}
function decodeHeader(v: string): string {
  return v.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, enc: string, data: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
  );
}

export function parseMail(raw: string): Omit<SinkMail, 'at'> {
  const [head] = raw.split(/\r?\n\r?\n/);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded)?.[1]?.trim() ?? '';
  // The text/plain part (multipart/alternative): decode it whatever its transfer encoding.
  const textPart = /Content-Type: text\/plain[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?Content-Transfer-Encoding: ([\w-]+)\r?\n\r?\n([\s\S]*?)\r?\n--/i.exec(raw);
  let text = '';
  if (textPart) {
    const enc = textPart[1].toLowerCase();
    text = enc === 'base64' ? Buffer.from(textPart[2].replace(/\s+/g, ''), 'base64').toString('utf8') : enc === 'quoted-printable' ? decodeQp(textPart[2]) : textPart[2];
  }
  return {
    to: header('To').replace(/.*</, '').replace(/>.*/, ''),
    subject: decodeHeader(header('Subject')),
    messageId: header('Message-ID'),
    ticketId: header('X-Keepdesk-Ticket') || null,
    surveyId: header('X-Keepdesk-Survey') || null,
    text,
    raw,
  };
}

/** One SMTP session as the sink saw it: which client port, and what happened when. */
export interface SinkSession {
  id: string;
  remotePort: number;
  openedAt: number;
  /** DATA began (354 sent). */
  dataAt?: number;
  /** End-of-data received, and what the sink answered. */
  dotAt?: number;
  answer?: 'accepted' | 'refused';
  /** The ticket of the message in DATA (header X-Keepdesk-Ticket), complete or not. */
  ticketId?: string | null;
  closedAt?: number;
  /** DATA began and never ended: the client vanished mid-message. */
  abortedInData?: boolean;
}

export interface Sink {
  port: number;
  url: string;
  mails: SinkMail[];
  /** Fraction refused: of sessions at connect, and of deliveries at MAIL FROM or after end-of-data (at random). */
  refuseRate: number;
  /** Where refusals happen (default: any of the three, at random). */
  refuseAt: 'connect' | 'mail' | 'data' | 'any';
  refused: number;
  /** Messages whose DATA began but never ended (the client vanished mid-message: nothing delivered). */
  aborted: number;
  /** Every session (opened, DATA, end-of-data and answer, closed), in order of opening. */
  sessions: Map<string, SinkSession>;
  for(email: string): SinkMail[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on port 0 that keeps every accepted message. */
export async function startSink(opts: { refuseRate?: number } = {}): Promise<Sink> {
  const mails: SinkMail[] = [];
  const sessions = new Map<string, SinkSession>();
  const sink = { mails, sessions, refuseRate: opts.refuseRate ?? 0, refuseAt: 'any', refused: 0, aborted: 0 } as Sink;
  const ticketOf = (chunks: Buffer[]) => /^X-Keepdesk-Ticket:\s*(\S+)/im.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? null;
  const inData = new Map<string, Buffer[]>();
  // 'any': a session is refused at connect at refuseRate, and each delivery (MAIL FROM) is refused at
  // refuseRate, at MAIL FROM or after end-of-data (even odds). A named stage: refuseRate there.
  const deliveryRefusal = new Map<string, 'mail' | 'data' | null>();
  const refuse = (at: Sink['refuseAt'], sessionId: string) => {
    if (sink.refuseAt !== 'any') return sink.refuseAt === at && Math.random() < sink.refuseRate;
    if (at === 'connect') return Math.random() < sink.refuseRate;
    if (at === 'mail') deliveryRefusal.set(sessionId, Math.random() < sink.refuseRate ? (Math.random() < 0.5 ? 'mail' : 'data') : null);
    return deliveryRefusal.get(sessionId) === at;
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(session, cb) {
      sessions.set(session.id, { id: session.id, remotePort: session.remotePort, openedAt: Date.now() });
      if (refuse('connect', session.id)) {
        sink.refused++;
        const e = new Error('service not available, try later') as Error & { responseCode: number };
        e.responseCode = 421;
        return cb(e);
      }
      cb();
    },
    onMailFrom(_addr, session, cb) {
      if (refuse('mail', session.id)) {
        sink.refused++;
        const e = new Error('try again later') as Error & { responseCode: number };
        e.responseCode = 451;
        return cb(e);
      }
      cb();
    },
    onClose(session) {
      deliveryRefusal.delete(session.id);
      const rec = sessions.get(session.id);
      if (rec) rec.closedAt = Date.now();
      const chunks = inData.get(session.id);
      if (chunks) {
        inData.delete(session.id);
        sink.aborted++;
        if (rec) {
          rec.abortedInData = true;
          rec.ticketId = ticketOf(chunks);
        }
      }
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      const rec = sessions.get(session.id);
      if (rec) {
        rec.dataAt = Date.now();
        rec.dotAt = rec.answer = rec.ticketId = undefined;
      }
      inData.set(session.id, chunks);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        inData.delete(session.id);
        if (rec) {
          rec.dotAt = Date.now();
          rec.ticketId = ticketOf(chunks);
        }
        if (refuse('data', session.id)) {
          if (rec) rec.answer = 'refused';
          sink.refused++;
          const e = new Error('message refused, try again') as Error & { responseCode: number };
          e.responseCode = 452;
          return cb(e);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ ...parseMail(raw), at: Date.now() });
        if (rec) rec.answer = 'accepted';
        cb();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  sink.port = port;
  sink.url = `smtp://127.0.0.1:${port}`;
  sink.for = (email: string) => mails.filter((m) => m.to.toLowerCase() === email.toLowerCase());
  sink.close = () => new Promise<void>((r) => server.close(() => r()));
  return sink;
}
