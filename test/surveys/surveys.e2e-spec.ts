import { INestApplicationContext } from '@nestjs/common';
import { adminToken, bearer, closeDb, db, newAgent, newApiKey, newTeam, startApi, startWorker, TestApi, uid, waitFor } from '@keepdesk/testing';
import { SurveyAnswersService } from '../../libs/surveys/src/survey-answers.service';
import { deriveTokenKey, signSurveyToken } from '../../libs/surveys/src/survey-token';
import { Sink, SinkMail, startSink } from './smtp-sink';

/**
 * SPEC "Surveys" end to end: the real API and worker (BullMQ on Redis), a real SMTP server,
 * the link in the mail followed like a customer would.
 */
describe('surveys (SPEC "Surveys")', () => {
  let sink: Sink;
  let api: TestApi;
  let worker: INestApplicationContext;
  let admin: string;
  let key: string;

  beforeAll(async () => {
    sink = await startSink();
    api = await startApi({ SMTP_URL: sink.url });
    worker = await startWorker({ SMTP_URL: sink.url });
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await sink?.close();
    await closeDb();
  });

  /** A team with its own survey settings and one available agent (round-robin assigns tickets to them). */
  async function setup(settings: Record<string, unknown> = {}) {
    const team = await newTeam(api, admin);
    const agent = await newAgent(api, admin, { teamIds: [team.id], available: true });
    const r = await api
      .http()
      .put('/api/survey-settings')
      .set(bearer(admin))
      .send({ teamId: team.id, type: 'csat', delayMinutes: 0.02, reminderAfterHours: 0, suppressDays: 0, ...settings });
    expect(r.status).toBe(200);
    return { team, agent };
  }

  async function ticketFor(teamId: string, email = `${uid('c')}@example.com`, extra: Record<string, unknown> = {}) {
    const r = await api.http().post('/api/tickets').set(bearer(key)).send({ subject: uid('Parcel late'), body: 'Where is it?', customer: { email, name: 'Ana' }, teamId, ...extra });
    expect(r.status).toBe(201);
    return { ...r.body, email } as { id: string; number: number; subject: string; assigneeId: string; email: string };
  }

  const patch = (token: string, id: string, body: Record<string, unknown>) => api.http().patch(`/api/tickets/${id}`).set(bearer(token)).send(body);
  const survey = async (ticketId: string) => (await db().query(`SELECT * FROM surveys WHERE ticket_id = $1`, [ticketId])).rows[0];
  const mailTo = (email: string, n = 1, timeout = 15000) => waitFor(() => (sink.for(email).length >= n ? sink.for(email) : null), { timeout, what: `${n} mail(s) to ${email}` });
  /** The one-click links of a mail, as paths on this API. */
  const links = (m: SinkMail) => [...m.text.matchAll(/https?:\/\/[^\s]+\/s\/([A-Za-z0-9_.-]+)\?score=(\d+)/g)].map((x) => ({ token: x[1], score: Number(x[2]), path: `/s/${x[1]}?score=${x[2]}` }));

  it('solve → the mail arrives after the delay, with one link per score; the link shows the page without recording; the form records; the summary moves', async () => {
    const { team, agent } = await setup();
    const t = await ticketFor(team.id);
    expect(t.assigneeId).toBe(agent.id);
    const solvedAt = Date.now();
    expect((await patch(agent.token, t.id, { status: 'solved' })).status).toBe(200);
    const row = await survey(t.id);
    expect(row).toMatchObject({ state: 'scheduled' });

    const [mail] = await mailTo(t.email);
    expect(mail.at - solvedAt).toBeGreaterThanOrEqual(1000); // delayMinutes 0.02 = 1.2 s
    expect(mail.subject).toContain(t.subject);
    expect(mail.text).toContain(agent.email.split('@')[0]); // the agent's name
    expect(mail.raw).toMatch(/Content-Type: text\/html/i);
    // The server's 250 is recorded just after the sink has the mail.
    const sent = await waitFor(async () => ((await survey(t.id)).accepted_at ? survey(t.id) : null), { what: 'accepted_at' });
    expect(sent).toMatchObject({ state: 'sent', agent_id: agent.id, send_attempts: 1 });
    expect(mail.messageId).toBe(`<survey.${sent.id}@localhost>`);
    const ls = links(mail);
    expect(ls.map((l) => l.score)).toEqual([1, 2, 3, 4, 5]);

    const from = new Date(solvedAt - 60000).toISOString();
    const summary = async () =>
      (await api.http().get(`/api/surveys/summary?from=${from}&groupBy=agent`).set(bearer(admin))).body.groups.find((g: { agentId: string }) => g.agentId === agent.id);
    expect(await summary()).toMatchObject({ sent: 1, answered: 0, responseRate: 0, csat: { answers: 0, percent: null } });

    // A mail scanner (or the customer) opens the one-click link: the page, score preselected, nothing recorded.
    const page = await api.http().get(ls[4].path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('value="5" checked');
    expect(page.text).not.toMatch(/<script/i);
    expect((await survey(t.id)).score).toBeNull();

    // The page's form posts form-encoded.
    const post = await api.http().post(`/s/${ls[4].token}`).type('form').send({ score: '5', comment: 'Quick and kind' });
    expect(post.status).toBe(200);
    expect(post.text).toContain('Thank you');
    expect(await survey(t.id)).toMatchObject({ score: 5, comment: 'Quick and kind', low_score: false });

    expect(await summary()).toMatchObject({ agentId: agent.id, sent: 1, answered: 1, responseRate: 1, csat: { answers: 1, percent: 100 } });
    const view = await api.http().get(`/api/tickets/${t.id}`).set(bearer(agent.token));
    expect(view.body.survey).toMatchObject({ type: 'csat', score: 5, comment: 'Quick and kind', agentId: agent.id });
    expect(view.body.survey.sentAt).toBeTruthy();
    expect(view.body.events.map((e: { type: string }) => e.type)).toContain('survey.responded');
    expect(view.body.events.map((e: { type: string }) => e.type)).not.toContain('survey.low_score');
  });

  it('the agent credited is the assignee at send time, not a later one', async () => {
    const { team, agent } = await setup();
    const other = await newAgent(api, admin, { teamIds: [team.id] });
    const t = await ticketFor(team.id);
    await patch(agent.token, t.id, { status: 'solved' });
    await mailTo(t.email);
    await patch(admin, t.id, { assigneeId: other.id });
    expect((await survey(t.id)).agent_id).toBe(agent.id);
  });

  it('a sent mail records the server\'s acceptance; one whose answer was never read shows in keepdesk_survey_mails_in_doubt', async () => {
    const gauge = async () => Number(/^keepdesk_survey_mails_in_doubt (\d+)/m.exec((await api.http().get('/metrics')).text)?.[1]);
    const before = await gauge();
    expect(before).toBeGreaterThanOrEqual(0);
    const { team, agent } = await setup();
    const t = await ticketFor(team.id);
    await patch(agent.token, t.id, { status: 'solved' });
    await mailTo(t.email);
    const s = await waitFor(async () => ((await survey(t.id))?.accepted_at ? survey(t.id) : null), { what: 'accepted_at' });
    expect(s).toMatchObject({ state: 'sent', message_id: expect.stringContaining(s.id) });
    // As a worker killed between end-of-data and the server's answer leaves it.
    await db().query(`UPDATE surveys SET accepted_at = NULL, sent_at = now() - interval '1 hour' WHERE id = $1`, [s.id]);
    expect(await gauge()).toBe(before + 1);
  });

  it('reopened before the delay: no mail; solved again: exactly one mail', async () => {
    const { team, agent } = await setup({ delayMinutes: 0.03 });
    const t = await ticketFor(team.id);
    await patch(agent.token, t.id, { status: 'solved' });
    expect((await patch(agent.token, t.id, { status: 'open' })).status).toBe(200);
    await waitFor(async () => (await survey(t.id)).state === 'cancelled', { timeout: 10000, what: 'the send job to find the ticket reopened' });
    expect(sink.for(t.email)).toHaveLength(0);

    await patch(agent.token, t.id, { status: 'solved' });
    await mailTo(t.email);
    const s = await survey(t.id);
    expect(s).toMatchObject({ state: 'sent', schedule_version: 2 });
    expect((await db().query(`SELECT count(*)::int AS n FROM surveys WHERE ticket_id = $1`, [t.id])).rows[0].n).toBe(1);
    expect(sink.for(t.email)).toHaveLength(1);
  });

  it('fatigue: one survey per customer per suppressDays', async () => {
    const { team, agent } = await setup({ suppressDays: 7 });
    const email = `${uid('c')}@example.com`;
    const a = await ticketFor(team.id, email);
    await patch(agent.token, a.id, { status: 'solved' });
    await mailTo(email);
    const b = await ticketFor(team.id, email);
    await patch(agent.token, b.id, { status: 'solved' });
    await waitFor(async () => (await survey(b.id)).state === 'suppressed', { what: 'the second survey to be suppressed' });
    expect((await survey(b.id)).state_reason).toBe('fatigue');
    expect(sink.for(email)).toHaveLength(1);
  });

  it('one reminder to the silent, with the same link; none after an answer', async () => {
    const { team, agent } = await setup({ reminderAfterHours: 0.0005 }); // 1.8 s
    const silent = await ticketFor(team.id);
    const answered = await ticketFor(team.id);
    await patch(agent.token, silent.id, { status: 'solved' });
    await patch(agent.token, answered.id, { status: 'solved' });
    const [first] = await mailTo(answered.email);
    expect((await api.http().post(`/s/${links(first)[3].token}`).send({ score: 4 })).status).toBe(200);

    const mails = await mailTo(silent.email, 2);
    expect(mails[1].subject).toMatch(/^Reminder/);
    expect(links(mails[1])[0].token).toBe(links(mails[0])[0].token);
    expect(mails[1].messageId).toMatch(/\.reminder@/);
    expect(await survey(silent.id)).toMatchObject({ reminder_state: 'sent' });
    // The answered one's reminder job has run by now (queued at the same moment) and sent nothing.
    await waitFor(async () => (await survey(silent.id)).reminder_sent_at, { what: 'reminder recorded' });
    expect(sink.for(answered.email)).toHaveLength(1);
    expect((await survey(answered.id)).reminder_state).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.for(silent.email)).toHaveLength(2);
  });

  it('forged, expired and reused tokens get a clear page and change nothing', async () => {
    const { team, agent } = await setup();
    const t = await ticketFor(team.id);
    await patch(agent.token, t.id, { status: 'solved' });
    const [mail] = await mailTo(t.email);
    const token = links(mail)[0].token;
    const s = await survey(t.id);

    // Forged: one character changed, or a made-up token.
    const forged = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    for (const bad of [forged, 'not-a-token', 'a'.repeat(300)]) {
      const g = await api.http().get(`/s/${bad}`);
      expect(g.status).toBe(404);
      expect(g.text).toContain('not valid');
      expect((await api.http().post(`/s/${bad}`).send({ score: 1 })).status).toBe(404);
    }
    // Properly signed, but expired.
    const keyBytes = deriveTokenKey(process.env.JWT_SECRET!);
    const expired = signSurveyToken(keyBytes, { surveyId: s.id, ticketId: t.id, expiresAt: new Date(Date.now() - 1000) });
    const e = await api.http().post(`/s/${expired}`).send({ score: 1 });
    expect(e.status).toBe(410);
    expect(e.text).toContain('expired');
    // Signed for this survey but bound to another ticket.
    const crossed = signSurveyToken(keyBytes, { surveyId: s.id, ticketId: '00000000-0000-4000-8000-000000000000', expiresAt: new Date(Date.now() + 86400000) });
    expect((await api.http().post(`/s/${crossed}`).send({ score: 1 })).status).toBe(404);
    expect((await survey(t.id)).score).toBeNull();

    // Reused: the first answer stands; a comment may be added once.
    expect((await api.http().post(`/s/${token}`).send({ score: 2 })).status).toBe(200);
    const again = await api.http().post(`/s/${token}`).type('form').send({ score: '5' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('already been answered');
    expect((await api.http().post(`/s/${token}`).type('form').send({ comment: 'Later thought' })).status).toBe(200);
    expect((await api.http().post(`/s/${token}`).type('form').send({ comment: 'Another' })).status).toBe(409);
    expect(await survey(t.id)).toMatchObject({ score: 2, comment: 'Later thought' });

    // The link's expiry is checked against the survey too (time passes).
    await db().query(`UPDATE surveys SET expires_at = now() - interval '1 second' WHERE id = $1`, [s.id]);
    expect((await api.http().get(`/s/${token}`)).status).toBe(410);

    // Rate-limited per token.
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await api.http().post(`/s/${token}`).send({ score: 3 })).status);
    expect(codes).toContain(429);
    expect((await survey(t.id)).score).toBe(2);
  });

  it('a low score raises survey.low_score and opens one service-recovery follow-up for the team, in the customer’s language', async () => {
    const { team, agent } = await setup();
    const email = `${uid('c')}@example.com`;
    expect((await api.http().post('/api/customers').set(bearer(key)).send({ email, name: '李雷', locale: 'zh-CN' })).status).toBeLessThan(300);
    const t = await ticketFor(team.id, email);
    await patch(agent.token, t.id, { status: 'solved' });
    const [mail] = await mailTo(email);
    expect(mail.subject).toContain('您对本次服务满意吗');
    expect(mail.text).toMatch(/\d{4}年\d{1,2}月\d{1,2}日/);
    const token = links(mail)[0].token;
    const page = await api.http().get(`/s/${token}?score=1`);
    expect(page.text).toContain('lang="zh-CN"');

    const post = await api.http().post(`/s/${token}`).send({ score: 1, comment: '太慢了' });
    expect(post.status).toBe(200);
    expect(post.text).toContain('感谢');
    const s = await waitFor(async () => {
      const row = await survey(t.id);
      return row.follow_up_ticket_id ? row : null;
    });
    expect(s.low_score).toBe(true);
    const fu = (await db().query(`SELECT * FROM tickets WHERE id = $1`, [s.follow_up_ticket_id])).rows[0];
    expect(fu).toMatchObject({ parent_ticket_id: t.id, team_id: team.id, priority: 'high' });
    expect(fu.tags).toContain('service-recovery');
    expect((await db().query(`SELECT count(*)::int AS n FROM tickets WHERE parent_ticket_id = $1`, [t.id])).rows[0].n).toBe(1);

    // Retried, concurrently, by the API and the worker, after a crash between opening the ticket
    // and recording it on the survey: still that one follow-up.
    await db().query(`UPDATE surveys SET follow_up_ticket_id = NULL WHERE id = $1`, [s.id]);
    const fromApi = api.app.get(SurveyAnswersService, { strict: false });
    const fromWorker = worker.get(SurveyAnswersService, { strict: false });
    const again = await Promise.all([...Array(5)].flatMap(() => [fromApi.ensureFollowUp(s.id), fromWorker.ensureFollowUp(s.id)]));
    expect(new Set(again)).toEqual(new Set([s.follow_up_ticket_id]));
    expect((await survey(t.id)).follow_up_ticket_id).toBe(s.follow_up_ticket_id);
    expect((await db().query(`SELECT count(*)::int AS n FROM tickets WHERE parent_ticket_id = $1`, [t.id])).rows[0].n).toBe(1);
    const types = (await db().query(`SELECT type FROM ticket_events WHERE ticket_id = $1`, [t.id])).rows.map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(['survey.responded', 'survey.low_score']));
  });

  it('settings: validated, per team with the workspace default behind them', async () => {
    const team = await newTeam(api, admin);
    const inherited = await api.http().get(`/api/survey-settings?teamId=${team.id}`).set(bearer(admin));
    expect(inherited.status).toBe(200);
    expect(inherited.body).toMatchObject({ teamId: team.id, inherited: true });
    const bad = await api.http().put('/api/survey-settings').set(bearer(admin)).send({ teamId: team.id, type: 'stars', delayMinutes: -1, bogus: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/type/);
    expect(bad.body.message).toMatch(/delayMinutes/);
    expect(bad.body.message).toMatch(/bogus/);
    const ok = await api.http().put('/api/survey-settings').set(bearer(admin)).send({ teamId: team.id, type: 'nps', delayMinutes: 2.5 });
    expect(ok.body).toMatchObject({ type: 'nps', delayMinutes: 2.5, inherited: false, expiresDays: 14, suppressDays: 7 });
    const agent = await newAgent(api, admin, { teamIds: [team.id] });
    expect((await api.http().put('/api/survey-settings').set(bearer(agent.token)).send({ enabled: false })).status).toBe(403);
    expect((await api.http().get('/api/surveys/summary?groupBy=planet').set(bearer(admin))).status).toBe(400);
  });
});
