import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TicketEventsService } from '@keepdesk/tickets';
import { adminToken, closeDb, newAgent, newApiKey, newTeam, newTicket, startApi, startWorker, TestApi } from '@keepdesk/testing';
import { InboxClient } from './inbox-client';

describe('live inbox: events raised in the worker, and embedded mode', () => {
  const clients: InboxClient[] = [];
  let api: TestApi | undefined;
  let worker: INestApplicationContext | undefined;
  let embedded: TestApi | undefined;
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await worker?.close();
    await api?.close();
    await embedded?.close();
    await closeDb();
  });

  it('an event recorded by a job in the worker reaches the agents of the ticket team', async () => {
    api = await startApi();
    worker = await startWorker();
    const admin = await adminToken(api);
    const team = await newTeam(api, admin);
    const agent = await newAgent(api, admin, { teamIds: [team.id] });
    const c = await InboxClient.connect(api.url, { token: agent.token });
    clients.push(c);
    const t = await newTicket(api, await newApiKey(api, admin), { teamId: team.id });
    await c.waitFor((e) => e.ticketId === t.id, 'ticket.created');
    // What an SLA job does: its own transaction, then publish from the worker process.
    const [written] = await worker
      .get(TicketEventsService)
      .record(worker.get(DataSource).manager, [
        { ticketId: t.id, type: 'sla.warning', actorType: 'system', data: { target: 'first_response' }, teamId: team.id, assigneeId: null },
      ]);
    const got = await c.waitFor((e) => e.type === 'sla.warning' && e.ticketId === t.id, 'sla.warning from the worker');
    expect(got).toEqual({ id: written.id, type: 'sla.warning', ticketId: t.id, at: written.at, data: { target: 'first_response' } });
  });

  it('without Redis (embedded mode) the feed runs on Postgres LISTEN/NOTIFY and presence in memory', async () => {
    embedded = await startApi({ REDIS_URL: '' });
    const admin = await adminToken(embedded);
    const team = await newTeam(embedded, admin);
    const [agent, sup] = await Promise.all([newAgent(embedded, admin, { teamIds: [team.id] }), newAgent(embedded, admin, { role: 'supervisor' })]);
    const watch = await InboxClient.connect(embedded.url, { token: sup.token });
    clients.push(watch);
    const c = await InboxClient.connect(embedded.url, { token: agent.token });
    clients.push(c);
    await watch.waitFor((e) => e.type === 'presence.updated' && e.data.userId === agent.id && e.data.status === 'online', 'presence');
    const t = await newTicket(embedded, await newApiKey(embedded, admin), { teamId: team.id });
    expect(t.assigneeId).toBe(agent.id);
    await c.waitFor((e) => e.ticketId === t.id && e.type === 'ticket.assigned', 'events without Redis');
  });
});
