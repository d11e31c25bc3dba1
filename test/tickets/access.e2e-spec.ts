import { adminToken, bearer, closeDb, newAgent, newApiKey, newTeam, newTicket, startApi, TestAgent, TestApi } from '@keepdesk/testing';

/** The role matrix: agent, supervisor, admin, API key and anonymous × the foundation's routes. */
describe('authorization', () => {
  let api: TestApi;
  let admin: string;
  let key: string;
  let teamA: { id: string };
  let teamB: { id: string };
  let agentA: TestAgent;
  let agentB: TestAgent;
  let supervisor: TestAgent;
  let ticketA: { id: string };
  let ticketB: { id: string };

  beforeAll(async () => {
    api = await startApi();
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
    teamA = await newTeam(api, admin);
    teamB = await newTeam(api, admin);
    agentA = await newAgent(api, admin, { teamIds: [teamA.id] });
    agentB = await newAgent(api, admin, { teamIds: [teamB.id] });
    supervisor = await newAgent(api, admin, { role: 'supervisor' });
    ticketA = await newTicket(api, key, { teamId: teamA.id });
    ticketB = await newTicket(api, key, { teamId: teamB.id });
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  type Who = 'anonymous' | 'agent' | 'supervisor' | 'admin' | 'apiKey';
  const auth = (who: Who): Record<string, string> =>
    who === 'anonymous' ? {} : bearer(who === 'agent' ? agentA.token : who === 'supervisor' ? supervisor.token : who === 'admin' ? admin : key);

  // [method, path, body, who may call it]; the others get 401 (anonymous) or 403.
  const routes = (): [string, string, object | undefined, Who[]][] => [
    ['get', '/api/auth/me', undefined, ['agent', 'supervisor', 'admin']],
    ['get', '/api/agents', undefined, ['agent', 'supervisor', 'admin']],
    ['post', '/api/agents', { email: 'x@y.z', name: 'x', password: 'short' }, ['admin']],
    ['post', '/api/teams', { name: '' }, ['admin']],
    ['get', '/api/teams', undefined, ['agent', 'supervisor', 'admin']],
    ['post', '/api/api-keys', { name: '' }, ['admin']],
    ['get', '/api/api-keys', undefined, ['admin']],
    ['delete', '/api/api-keys/00000000-0000-4000-8000-000000000000', undefined, ['admin']],
    ['post', '/api/tickets', {}, ['agent', 'supervisor', 'admin', 'apiKey']],
    ['get', '/api/tickets', undefined, ['agent', 'supervisor', 'admin', 'apiKey']],
    ['get', `/api/tickets/${ticketA.id}`, undefined, ['agent', 'supervisor', 'admin', 'apiKey']],
    ['patch', `/api/tickets/${ticketA.id}`, {}, ['agent', 'supervisor', 'admin']],
    ['post', `/api/tickets/${ticketA.id}/messages`, {}, ['agent', 'supervisor', 'admin']],
    ['post', `/api/tickets/${ticketA.id}/customer-messages`, {}, ['apiKey']],
    ['post', '/api/inbound/email', {}, ['apiKey']],
    ['post', '/api/customers', {}, ['agent', 'supervisor', 'admin', 'apiKey']],
  ];
  const everyone: Who[] = ['anonymous', 'agent', 'supervisor', 'admin', 'apiKey'];

  it('every route answers 401 to the anonymous and 403 to roles it is not for, and lets the others through', async () => {
    const failures: string[] = [];
    for (const [method, path, body, allowed] of routes()) {
      for (const who of everyone) {
        const req = (api.http() as any)[method](path).set(auth(who));
        const r = body ? await req.send(body) : await req;
        const expected = allowed.includes(who) ? 'through' : who === 'anonymous' ? 401 : 403;
        const ok = expected === 'through' ? r.status !== 401 && r.status !== 403 && r.status < 500 : r.status === expected;
        if (!ok) failures.push(`${method.toUpperCase()} ${path} as ${who}: ${r.status} (wanted ${expected})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('an agent sees only tickets of their teams or assigned to them; others are 404', async () => {
    const list = await api.http().get('/api/tickets?limit=100').set(bearer(agentA.token));
    const ids = list.body.items.map((t: { id: string }) => t.id);
    expect(ids).toContain(ticketA.id);
    expect(ids).not.toContain(ticketB.id);
    expect((await api.http().get(`/api/tickets/${ticketB.id}`).set(bearer(agentA.token))).status).toBe(404);
    expect((await api.http().patch(`/api/tickets/${ticketB.id}`).set(bearer(agentA.token)).send({ status: 'open' })).status).toBe(404);
    expect((await api.http().post(`/api/tickets/${ticketB.id}/messages`).set(bearer(agentA.token)).send({ body: 'hi', kind: 'reply' })).status).toBe(404);
    // assigned to them across teams: visible
    await api.http().patch(`/api/tickets/${ticketB.id}`).set(bearer(admin)).send({ assigneeId: agentA.id });
    expect((await api.http().get(`/api/tickets/${ticketB.id}`).set(bearer(agentA.token))).status).toBe(200);
    expect((await api.http().get(`/api/tickets/${ticketA.id}`).set(bearer(agentB.token))).status).toBe(404);
    // supervisors see everything
    const sup = await api.http().get('/api/tickets?limit=100').set(bearer(supervisor.token));
    expect(sup.body.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([ticketA.id, ticketB.id]));
  });

  it('forged and expired tokens and revoked API keys are refused', async () => {
    expect((await api.http().get('/api/tickets').set(bearer(admin.slice(0, -2) + 'xx'))).status).toBe(401);
    expect((await api.http().get('/api/tickets').set(bearer('kd_not-a-real-key'))).status).toBe(401);
    const created = await api.http().post('/api/api-keys').set(bearer(admin)).send({ name: 'temp' });
    expect((await api.http().get('/api/tickets').set('X-Api-Key', created.body.key)).status).toBe(200);
    expect((await api.http().delete(`/api/api-keys/${created.body.id}`).set(bearer(admin))).status).toBe(204);
    expect((await api.http().get('/api/tickets').set('X-Api-Key', created.body.key)).status).toBe(401);
    const list = await api.http().get('/api/api-keys').set(bearer(admin));
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  it('an agent may mark themself available but not change their role or others', async () => {
    expect((await api.http().patch(`/api/agents/${agentA.id}`).set(bearer(agentA.token)).send({ available: true })).status).toBe(200);
    expect((await api.http().patch(`/api/agents/${agentA.id}`).set(bearer(agentA.token)).send({ role: 'admin' })).status).toBe(403);
    expect((await api.http().patch(`/api/agents/${agentB.id}`).set(bearer(agentA.token)).send({ available: true })).status).toBe(403);
  });

  it('login: wrong password 401, right one gives a token and the user without its hash', async () => {
    expect((await api.http().post('/api/auth/login').send({ email: agentA.email, password: 'wrong-password' })).status).toBe(401);
    const ok = await api.http().post('/api/auth/login').send({ email: agentA.email.toUpperCase(), password: 'agent-password' });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ id: agentA.id, role: 'agent' });
    expect(JSON.stringify(ok.body)).not.toMatch(/hash/i);
  });
});
