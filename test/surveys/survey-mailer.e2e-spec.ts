import { createServer, Server, Socket } from 'node:net';
import { MailSendError, SurveyMailer } from '../../libs/surveys/src/survey-mailer';
import { Sink, startSink } from './smtp-sink';

/** The mailer against real sockets: refusals, a server that never answers, slots, and the commit hook. */
describe('SurveyMailer', () => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  const mail = (to: string) => ({ from: 'Support <support@keepdesk.localhost>', to, subject: 'How did we do?', text: 'hi', html: '<p>hi</p>', messageId: `<survey.${to}@test>` });

  /** One send in a slot of its own, as SurveySender does it. */
  const send = async (m: SurveyMailer, to: string, commit: () => Promise<unknown>) => {
    const slot = await m.reserve();
    try {
      return await slot.send(mail(to), commit);
    } finally {
      slot.release();
    }
  };

  it('commits at end-of-data, once the server has the body; a refused commit sends nothing', async () => {
    const m = new SurveyMailer({ smtpUrl: sink.url, outboxDir: '/tmp', sendTimeoutMs: 3000 });
    const order: string[] = [];
    expect(await send(m, 'yes@example.com', async () => order.push(`commit at ${sink.for('yes@example.com').length} mails`))).toMatchObject({ outcome: 'accepted' });
    expect(order).toEqual(['commit at 0 mails']);
    expect(sink.for('yes@example.com')).toHaveLength(1);
    expect(sink.for('yes@example.com')[0].messageId).toBe('<survey.yes@example.com@test>');

    const err = await send(m, 'no@example.com', () => {
      throw new Error('no');
    }).catch((e) => e);
    expect(err).toBeInstanceOf(MailSendError);
    expect(err.declined).toBe(true);
    // The connection was dropped before end-of-data: the server never accepts it.
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.for('no@example.com')).toHaveLength(0);
    // The pool still works afterwards, and a COMMIT that fails after end-of-data is reported with the outcome.
    expect(await send(m, 'again@example.com', async () => true)).toMatchObject({ outcome: 'accepted' });
    const r = await send(m, 'failed-commit@example.com', () => Promise.reject(new Error('connection lost')));
    expect(r).toMatchObject({ outcome: 'accepted', commitError: expect.objectContaining({ message: 'connection lost' }) });
    await m.close();
  });

  it('a refusal after end-of-data is reported as refused (commit written); one at connect or MAIL FROM fails before any commit', async () => {
    const refusing = await startSink({ refuseRate: 1 });
    const m = new SurveyMailer({ smtpUrl: refusing.url, outboxDir: '/tmp', sendTimeoutMs: 3000 });
    refusing.refuseAt = 'data';
    let commits = 0;
    expect(await send(m, 'r@example.com', async () => commits++)).toMatchObject({ outcome: 'refused', responseCode: 452 });
    expect(commits).toBe(1);
    for (const at of ['connect', 'mail'] as const) {
      refusing.refuseAt = at;
      await expect(send(m, 'r@example.com', async () => commits++)).rejects.toBeInstanceOf(MailSendError);
    }
    expect(commits).toBe(1);
    expect(refusing.mails).toHaveLength(0);
    await m.close();
    await refusing.close();
  });

  it('slots bound the sends in flight', async () => {
    const m = new SurveyMailer({ smtpUrl: sink.url, outboxDir: '/tmp', maxConnections: 2 });
    const a = await m.reserve();
    const b = await m.reserve();
    let third = false;
    const c = m.reserve().then((s) => ((third = true), s));
    await new Promise((r) => setTimeout(r, 50));
    expect(third).toBe(false);
    a.release();
    (await c).release();
    expect(third).toBe(true);
    b.release();
    await m.close();
  });

  it('a server that accepts the connection and never greets fails within the hard timeout (no hang)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const m = new SurveyMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, outboxDir: '/tmp', sendTimeoutMs: 800 });
    const t0 = Date.now();
    let committed = false;
    const err = await send(m, 'x@example.com', async () => (committed = true)).catch((e) => e);
    expect(err).toBeInstanceOf(MailSendError);
    expect(committed).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3000);
    await m.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('without SMTP_URL writes one .eml per Message-ID to the outbox, idempotently', async () => {
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/kd-outbox-');
    const m = new SurveyMailer({ smtpUrl: null, outboxDir: dir });
    expect(await send(m, 'o@example.com', async () => true)).toMatchObject({ outcome: 'accepted' });
    expect(await send(m, 'o@example.com', async () => true)).toMatchObject({ outcome: 'accepted' });
    expect(readdirSync(dir)).toEqual(['survey.o_example.com_test.eml']);
  });
});
