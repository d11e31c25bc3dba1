import { createServer, Server, Socket } from 'node:net';
import { MailSendError, SurveyMailer } from '../../libs/surveys/src/survey-mailer';
import { Sink, startSink } from './smtp-sink';

/** The mailer against real sockets: refusals, a server that never answers, and the commit hook. */
describe('SurveyMailer', () => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  const mail = (to: string) => ({ from: 'Support <support@keepdesk.localhost>', to, subject: 'How did we do?', text: 'hi', html: '<p>hi</p>', messageId: `<survey.${to}@test>` });

  it('commits between "server has the message" and end-of-data; a declined commit sends nothing', async () => {
    const m = new SurveyMailer({ smtpUrl: sink.url, outboxDir: '/tmp', sendTimeoutMs: 3000 });
    const order: string[] = [];
    expect(await m.send(mail('yes@example.com'), async () => (order.push(`commit at ${sink.for('yes@example.com').length} mails`), true))).toBe(true);
    expect(order).toEqual(['commit at 0 mails']);
    expect(sink.for('yes@example.com')).toHaveLength(1);
    expect(sink.for('yes@example.com')[0].messageId).toBe('<survey.yes@example.com@test>');

    expect(await m.send(mail('no@example.com'), async () => false)).toBe(false);
    // The connection was dropped before end-of-data: the server never accepts it.
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.for('no@example.com')).toHaveLength(0);
    // The pool still works afterwards.
    expect(await m.send(mail('again@example.com'), async () => true)).toBe(true);
    await m.close();
  });

  it('a refusal after end-of-data is reported as committed but not delivered; one at connect or MAIL FROM as not committed', async () => {
    const refusing = await startSink({ refuseRate: 1 });
    const m = new SurveyMailer({ smtpUrl: refusing.url, outboxDir: '/tmp', sendTimeoutMs: 3000 });
    refusing.refuseAt = 'data';
    let commits = 0;
    await expect(m.send(mail('r@example.com'), async () => (commits++, true))).rejects.toMatchObject({ committed: true, delivered: 'no', responseCode: 452 });
    expect(commits).toBe(1);
    for (const at of ['connect', 'mail'] as const) {
      refusing.refuseAt = at;
      await expect(m.send(mail('r@example.com'), async () => (commits++, true))).rejects.toMatchObject({ committed: false, delivered: 'no' });
    }
    expect(commits).toBe(1);
    expect(refusing.mails).toHaveLength(0);
    await m.close();
    await refusing.close();
  });

  it('a server that accepts the connection and never greets fails within the hard timeout (no hang)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const m = new SurveyMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, outboxDir: '/tmp', sendTimeoutMs: 800 });
    const t0 = Date.now();
    const err = await m.send(mail('x@example.com'), async () => true).catch((e) => e);
    expect(err).toBeInstanceOf(MailSendError);
    expect(err.committed).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3000);
    await m.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('without SMTP_URL writes one .eml per Message-ID to the outbox, idempotently', async () => {
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/kd-outbox-');
    const m = new SurveyMailer({ smtpUrl: null, outboxDir: dir });
    expect(await m.send(mail('o@example.com'), async () => true)).toBe(true);
    expect(await m.send(mail('o@example.com'), async () => true)).toBe(true);
    expect(readdirSync(dir)).toEqual(['survey.o_example.com_test.eml']);
  });
});
