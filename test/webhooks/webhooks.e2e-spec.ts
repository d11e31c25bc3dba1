import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { adminToken, bearer, closeDb, db, newAgent, newApiKey, newTeam, startApi, startWorker, TestApi, uid, waitFor } from '@keepdesk/testing';
import { verifySignature, WebhooksService } from '@keepdesk/webhooks';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
}

/** A real HTTP endpoint standing in for an integrator; answers with the queued statuses, then 200. */
async function startReceiver() {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, statuses, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('outbound webhooks (SPEC "webhooks out")', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let admin: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    api = await startApi();
    worker = await startWorker();
    admin = await adminToken(api);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
    await closeDb();
  });

  const create = (body: Record<string, unknown>, token = admin) => api.http().post('/api/webhooks').set(bearer(token)).send(body);
  const deliveries = async (webhookId: string) => (await db().query(`SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at`, [webhookId])).rows;

  it('admins create, list and delete webhooks; input is validated; others are refused', async () => {
    const r = await create({ url: `${receiver.url}/a`, events: ['survey.responded'], secret: 'a-very-secret-secret' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ url: `${receiver.url}/a`, events: ['survey.responded'], active: true });
    const list = await api.http().get('/api/webhooks').set(bearer(admin));
    const mine = list.body.items.find((w: { id: string }) => w.id === r.body.id);
    expect(mine).toBeTruthy();
    expect(mine.secret).toBeUndefined();

    const bad = await create({ url: 'ftp://x', events: [], secret: 'short', extra: true });
    expect(bad.status).toBe(400);
    for (const field of ['url', 'events', 'secret', 'extra']) expect(bad.body.message).toContain(field);
    const agent = await newAgent(api, admin, {});
    expect((await create({ url: receiver.url, events: ['*'] }, agent.token)).status).toBe(403);

    expect((await api.http().delete(`/api/webhooks/${r.body.id}`).set(bearer(admin))).status).toBe(204);
    expect((await api.http().delete(`/api/webhooks/${r.body.id}`).set(bearer(admin))).status).toBe(404);
    expect((await api.http().delete('/api/webhooks/nope').set(bearer(admin))).status).toBe(400);
  });

  it('emit() is idempotent per (webhook, event id); the delivery is signed and retried with backoff until it succeeds', async () => {
    const secret = 'whsec-' + uid('s');
    const type = `test.${uid('evt').replace('-', '_')}`;
    const hook = (await create({ url: `${receiver.url}/retry`, events: [type], secret })).body;
    const webhooks = api.app.get(WebhooksService);
    const ds = api.app.get(DataSource);
    receiver.statuses.push(500);
    expect(await webhooks.emit(ds.manager, type, { id: 'e-1', n: 1 })).toBe(1);
    expect(await webhooks.emit(ds.manager, type, { id: 'e-1', n: 1 })).toBe(0);
    // Inside a transaction, queued after commit.
    await ds.transaction(async (tx) => {
      expect(await webhooks.emit(tx, type, { id: 'e-1', n: 1 })).toBe(0);
    });

    const [d] = await waitFor(async () => {
      const rows = await deliveries(hook.id);
      return rows.length === 1 && rows[0].status === 'delivered' ? rows : null;
    }, { timeout: 15000, what: 'the delivery to succeed after a 500' });
    expect(d.attempts).toBe(2);
    const got = receiver.received.filter((x) => x.json.type === type);
    expect(got).toHaveLength(2); // the 500, then the success
    const last = got[1];
    expect(last.json).toMatchObject({ id: `${type}.e-1`, type, data: { id: 'e-1', n: 1 } });
    expect(verifySignature(secret, last.headers['x-keepdesk-timestamp'] as string, last.body, last.headers['x-keepdesk-signature'] as string)).toBe(true);
    expect(verifySignature('wrong-secret', last.headers['x-keepdesk-timestamp'] as string, last.body, last.headers['x-keepdesk-signature'] as string)).toBe(false);

    const log = await api.http().get(`/api/webhooks/${hook.id}/deliveries`).set(bearer(admin));
    expect(log.body.items[0]).toMatchObject({ eventType: type, status: 'delivered', attempts: 2, lastStatusCode: 200 });
  });

  it('survey channel "webhook": the shop gets survey.requested with the one-click links, then survey.responded; no mail', async () => {
    const secret = 'whsec-' + uid('s');
    const hook = (await create({ url: `${receiver.url}/surveys`, events: ['survey.requested', 'survey.responded', 'survey.low_score'], secret })).body;
    const team = await newTeam(api, admin);
    const agent = await newAgent(api, admin, { teamIds: [team.id], available: true });
    await api.http().put('/api/survey-settings').set(bearer(admin)).send({ teamId: team.id, type: 'nps', channel: 'webhook', delayMinutes: 0.01, reminderAfterHours: 0, suppressDays: 0 });
    const key = await newApiKey(api, admin);
    const email = `${uid('c')}@example.com`;
    const t = (await api.http().post('/api/tickets').set(bearer(key)).send({ subject: 'Broken zip', body: 'x', customer: { email }, teamId: team.id })).body;
    await api.http().patch(`/api/tickets/${t.id}`).set(bearer(agent.token)).send({ status: 'solved' });

    const requested = await waitFor(() => receiver.received.find((x) => x.path === '/surveys' && x.json.type === 'survey.requested' && x.json.data.ticketId === t.id), {
      timeout: 15000,
      what: 'survey.requested',
    });
    const data = requested.json.data as { links: { score: number; url: string }[]; customer: { email: string }; agent: { id: string } };
    expect(data.links).toHaveLength(11);
    expect(data.customer.email).toBe(email);
    expect(data.agent.id).toBe(agent.id);
    const path = new URL(data.links[10].url).pathname;
    expect((await api.http().post(path).send({ score: 10 })).status).toBe(200);
    const responded = await waitFor(() => receiver.received.find((x) => x.path === '/surveys' && x.json.type === 'survey.responded' && x.json.data.ticketId === t.id), {
      timeout: 15000,
      what: 'survey.responded',
    });
    expect(responded.json.data).toMatchObject({ score: 10, type: 'nps', lowScore: false });
    expect((await deliveries(hook.id)).filter((d) => d.event_type === 'survey.low_score')).toHaveLength(0);
  });
});
