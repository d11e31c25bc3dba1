import { adminToken, ChildApp, closeDb, newAgent, newApiKey, newTeam, newTicket, spawnApp, startApi, TestApi } from '@keepdesk/testing';
import { InboxClient } from './inbox-client';

/**
 * Two API *processes* (this one in-process, the other `node dist/apps/api/src/main.js`): an event
 * written through either reaches agents connected to the other, through the Redis adapter and the
 * shared event log, nothing in process memory.
 */
describe('live inbox across separate API processes', () => {
  let a: TestApi;
  let b: ChildApp;
  const clients: InboxClient[] = [];

  beforeAll(async () => {
    a = await startApi();
    b = await spawnApp('api');
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await b?.kill();
    await a?.close();
    await closeDb();
  });

  it('a ticket created in one process reaches its team on the other, both ways, and not other teams', async () => {
    const admin = await adminToken(a);
    const key = await newApiKey(a, admin);
    const [teamX, teamY] = await Promise.all([newTeam(a, admin), newTeam(a, admin)]);
    const [x, y] = await Promise.all([newAgent(a, admin, { teamIds: [teamX.id] }), newAgent(a, admin, { teamIds: [teamY.id] })]);
    const xOnChild = await InboxClient.connect(b.url!, { token: x.token });
    const yOnParent = await InboxClient.connect(a.url, { token: y.token });
    clients.push(xOnChild, yOnParent);

    const tx = await newTicket(a, key, { teamId: teamX.id });
    await xOnChild.waitFor((e) => e.type === 'ticket.created' && e.ticketId === tx.id, 'team X ticket on the child process');

    const res = await fetch(`${b.url}/api/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ subject: 'via child', body: 'hello', customer: { email: `child-${Date.now()}@example.com` }, teamId: teamY.id }),
    });
    expect(res.status).toBe(201);
    const ty = (await res.json()) as { id: string };
    await yOnParent.waitFor((e) => e.type === 'ticket.created' && e.ticketId === ty.id, 'team Y ticket on the parent process');

    expect(yOnParent.events.filter((e) => e.ticketId === tx.id)).toEqual([]);
    expect(xOnChild.events.filter((e) => e.ticketId === ty.id)).toEqual([]);
  });
});
