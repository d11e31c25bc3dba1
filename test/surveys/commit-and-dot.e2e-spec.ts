import { Socket } from 'node:net';
import { PoolClient } from 'pg';
import { closeDb, db } from '@keepdesk/testing';
import { SurveyMailer } from '../../libs/surveys/src/survey-mailer';
import { Sink, startSink } from './smtp-sink';

/**
 * The ordering that makes a crash unable to leave "mail accepted, survey not recorded sent" (the
 * duplicate on retry): the database COMMIT and the SMTP end-of-data leave in the same turn of the
 * event loop, COMMIT first, after the body. Watched at the sockets: every write(2) of the pg and
 * SMTP connections is recorded, and an event-loop turn between the two would show.
 */
describe('surveys: COMMIT and end-of-data in one tick', () => {
  let sink: Sink;
  let client: PoolClient;
  const realWrite = Socket.prototype.write;

  beforeAll(async () => {
    sink = await startSink();
    await db().query(`CREATE TABLE IF NOT EXISTS kd_commit_dot_probe (id text PRIMARY KEY)`);
    client = await db().connect();
  });
  afterAll(async () => {
    Socket.prototype.write = realWrite;
    client?.release();
    await sink?.close();
    await closeDb();
  });

  it('COMMIT is written after the body and before end-of-data, with no event-loop turn between them', async () => {
    type W = { to: 'pg' | 'smtp'; text: string; at: bigint; turnedSinceCommit: boolean };
    const writes: W[] = [];
    let turnedSinceCommit = false;
    const pgSocket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
    Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
      const text = Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
      const to = this === pgSocket ? 'pg' : this.remotePort === sink.port ? 'smtp' : null;
      if (to === 'pg' && text.includes('COMMIT')) turnedSinceCommit = false;
      if (to) {
        writes.push({ to, text, at: process.hrtime.bigint(), turnedSinceCommit });
        if (to === 'pg' && text.includes('COMMIT')) setImmediate(() => (turnedSinceCommit = true));
      }
      return (realWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof realWrite;

    const mailer = new SurveyMailer({ smtpUrl: sink.url, outboxDir: '/tmp', sendTimeoutMs: 5000 });
    const sendOne = async (id: string) => {
      await client.query('BEGIN');
      await client.query(`INSERT INTO kd_commit_dot_probe (id) VALUES ($1)`, [id]);
      const slot = await mailer.reserve();
      try {
        return await slot.send(
          { from: 'support@keepdesk.localhost', to: 'probe@example.com', subject: 'probe', text: 'x'.repeat(20000), html: '<p>x</p>', messageId: `<${id}@test>` },
          () => client.query('COMMIT'),
        );
      } finally {
        slot.release();
      }
    };
    // Warm the code paths (and the pooled connection), then watch one send.
    const gaps: number[] = [];
    for (let i = 0; i < 20; i++) {
      writes.length = 0;
      await sendOne(`warm-${process.pid}-${Date.now()}-${i}`);
      const c = writes.findIndex((w) => w.to === 'pg' && w.text.includes('COMMIT'));
      const d = writes.findIndex((w, j) => j > c && w.to === 'smtp');
      gaps.push(Number(writes[d].at - writes[c].at) / 1000);
    }
    writes.length = 0;
    const id = `probe-${process.pid}-${Date.now()}`;
    const r = await sendOne(id);
    Socket.prototype.write = realWrite;
    await mailer.close();

    expect(r).toMatchObject({ outcome: 'accepted' });
    expect(r.commitError).toBeUndefined();
    expect(sink.mails.filter((m) => m.messageId === `<${id}@test>`)).toHaveLength(1);
    expect((await db().query(`SELECT 1 FROM kd_commit_dot_probe WHERE id = $1`, [id])).rowCount).toBe(1);

    const commit = writes.findIndex((w) => w.to === 'pg' && w.text.includes('COMMIT'));
    const dataCmd = writes.findIndex((w) => w.to === 'smtp' && w.text.startsWith('DATA'));
    const dot = writes.findIndex((w) => w.to === 'smtp' && /(^|\r\n)\.\r\n$/.test(w.text) && w.text.length <= 5);
    expect(commit).toBeGreaterThan(-1);
    expect(dataCmd).toBeGreaterThan(-1);
    expect(dot).toBeGreaterThan(commit);
    // The whole body went out before COMMIT: only the terminator follows it.
    const body = writes.slice(dataCmd + 1, dot).filter((w) => w.to === 'smtp');
    expect(body.length).toBeGreaterThan(0);
    expect(writes.slice(commit + 1, dot).filter((w) => w.to === 'smtp')).toEqual([]);
    // Same turn of the event loop: the setImmediate queued at the COMMIT write had not run yet.
    expect(writes[dot].turnedSinceCommit).toBe(false);
    const micros = Number(writes[dot].at - writes[commit].at) / 1000;
    gaps.sort((a, b) => a - b);
    process.stdout.write(
      `commit-and-dot: end-of-data written ${micros.toFixed(0)} µs after COMMIT, same tick (20 warm sends: min ${gaps[0].toFixed(0)}, median ${gaps[10].toFixed(0)}, max ${gaps[19].toFixed(0)} µs)\n`,
    );
  });
});
