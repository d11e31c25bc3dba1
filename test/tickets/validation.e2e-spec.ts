import { adminToken, bearer, closeDb, db, newApiKey, newTeam, startApi, TestApi, uid } from '@keepdesk/testing';

describe('input validation and the error body', () => {
  let api: TestApi;
  let admin: string;
  let key: string;

  beforeAll(async () => {
    api = await startApi({ BODY_LIMIT_BYTES: '65536' });
    admin = await adminToken(api);
    key = await newApiKey(api, admin);
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  const post = (body: unknown, type = 'application/json') =>
    api.http().post('/api/tickets').set(bearer(key)).set('Content-Type', type).send(typeof body === 'string' ? body : JSON.stringify(body));
  const good = () => ({ subject: 'Hello', body: 'Help', customer: { email: `${uid('v')}@example.com` } });

  it.each([
    ['wrong type', { ...good(), subject: 42 }, 'subject'],
    ['missing field', { body: 'x', customer: { email: 'a@b.co' } }, 'subject'],
    ['unknown field', { ...good(), color: 'red' }, 'color'],
    ['unknown nested field', { ...good(), customer: { email: 'a@b.co', vip: true } }, 'customer.vip'],
    ['bad nested email', { ...good(), customer: { email: 'not-an-email' } }, 'customer.email'],
    ['bad enum', { ...good(), priority: 'asap' }, 'priority'],
    ['bad uuid', { ...good(), teamId: 'team-1' }, 'teamId'],
    // Postgres text cannot hold U+0000: refused up front rather than a failed write (a 500).
    ['NUL character', { ...good(), subject: 'Hel\u0000lo' }, 'subject must not contain NUL'],
    ['NUL character, nested in an array', { ...good(), tags: ['ok', 'b\u0000d'] }, 'tags[1] must not contain NUL'],
    // Not valid Unicode: Postgres cannot store it, and a JSONB column refuses the escape (a 500).
    ['lone surrogate', { ...good(), subject: 'Hel\uD800lo' }, 'subject must not contain lone UTF-16 surrogates'],
    ['lone surrogate, nested', { ...good(), customer: { email: 'a@b.co', name: '\uDC00' } }, 'customer.name must not contain lone UTF-16 surrogates'],
    ['array instead of object', [good()], ''],
    ['null body', null, ''],
  ])('%s → 400 naming the field', async (_name, body, field) => {
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(typeof r.body.message).toBe('string');
    if (field) expect(r.body.message).toContain(field);
  });

  it('broken JSON → 400, oversize body → 413, both with the SPEC body', async () => {
    const broken = await post('{"subject": "x",');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const big = await post({ ...good(), body: 'x'.repeat(70000) });
    expect(big.status).toBe(413);
    expect(big.body.statusCode).toBe(413);
  });

  it('deeply nested bodies → 400 naming the problem (they used to overflow the stack: a 500)', async () => {
    const deepArray = await post(`{"subject":${'['.repeat(30000)}${']'.repeat(30000)}}`);
    expect(deepArray.status).toBe(400);
    expect(deepArray.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'subject[0][0][0]' + '[0]'.repeat(28) + ' nests objects or arrays deeper than 32 levels' });
    const deepObject = await post('{"a":'.repeat(10000) + '1' + '}'.repeat(10000));
    expect(deepObject.status).toBe(400);
    expect(deepObject.body.message).toContain('nests objects or arrays deeper than 32 levels');
  });

  it('a bad UUID in the path names the parameter; a bad query value names the field', async () => {
    const r = await api.http().get('/api/tickets/not-a-uuid').set(bearer(admin));
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('id must be a UUID');
    const q = await api.http().get('/api/tickets?status=done').set(bearer(admin));
    expect(q.status).toBe(400);
    expect(q.body.message).toContain('status');
    const c = await api.http().get('/api/tickets?cursor=abc').set(bearer(admin));
    expect(c.status).toBe(400);
    expect(c.body.message).toContain('cursor');
  });

  it('unknown query parameters are refused naming them, also on routes that take no query', async () => {
    const listed = await api.http().get('/api/tickets?color=red').set(bearer(admin));
    expect(listed.status).toBe(400);
    expect(listed.body.message).toContain('color');
    const none = await api.http().get('/api/agents?color=red').set(bearer(admin));
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ statusCode: 400, message: 'color is not a query parameter of this route (it takes none)' });
    expect(none.body.errors).toEqual([{ field: 'color', messages: ['color is not a query parameter of this route (it takes none)'] }]);
    expect((await api.http().get('/api/agents').set(bearer(admin))).status).toBe(200);
    // Public pages keep working with whatever a mail client appends to a link.
    expect((await api.http().get('/health/live?utm_source=x')).status).toBe(200);
  });

  it('illegal transitions are 409s naming both statuses, and change nothing', async () => {
    const t = (await post(good())).body;
    await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'solved' });
    await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: 'closed' });
    for (const to of ['new', 'open', 'pending', 'on_hold', 'solved']) {
      const r = await api.http().patch(`/api/tickets/${t.id}`).set(bearer(admin)).send({ status: to });
      expect(r.status).toBe(409);
      expect(r.body.message).toBe(`status cannot change from closed to ${to}`);
    }
    const fresh = (await post(good())).body;
    const r = await api.http().patch(`/api/tickets/${fresh.id}`).set(bearer(admin)).send({ status: 'closed' });
    expect(r.status).toBe(409);
    expect(r.body.message).toBe('status cannot change from new to closed');
    expect((await api.http().get(`/api/tickets/${fresh.id}`).set(bearer(admin))).body.status).toBe('new');
  });

  it('unknown team on create is a 400 naming teamId, not a 500', async () => {
    const r = await post({ ...good(), teamId: '00000000-0000-4000-8000-000000000000' });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('teamId');
  });

  it('20 parallel creations of one customer give one customer', async () => {
    const email = `${uid('same')}@Example.com`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post({ subject: `parallel ${i}`, body: 'x', customer: { email: i % 2 ? email : email.toLowerCase(), name: 'Same' } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const c = await db().query(`SELECT count(*)::int AS n FROM customers WHERE email = $1`, [email.toLowerCase()]);
    expect(c.rows[0].n).toBe(1);
    expect(new Set(results.map((r) => r.body.customerId)).size).toBe(1);
    // and by externalId through the customers route
    const ext = uid('ext');
    const byExt = await Promise.all(Array.from({ length: 20 }, () => api.http().post('/api/customers').set(bearer(key)).send({ externalId: ext, email: `${ext}@example.com` })));
    expect(new Set(byExt.map((r) => r.body.id)).size).toBe(1);
  });

  it('pagination neither skips nor repeats a ticket while new tickets arrive', async () => {
    const team = await newTeam(api, admin);
    const made = new Set<string>();
    for (let i = 0; i < 23; i++) made.add((await post({ ...good(), teamId: team.id })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let arrivals = 0;
    do {
      const r: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await api.http().get(`/api/tickets?teamId=${team.id}&limit=5${cursor ? `&cursor=${cursor}` : ''}`).set(bearer(admin));
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((t: { id: string }) => t.id));
      cursor = r.body.nextCursor;
      // new tickets arrive between pages
      await post({ ...good(), teamId: team.id });
      arrivals++;
    } while (cursor);
    expect(arrivals).toBeGreaterThanOrEqual(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => made.has(id)).length).toBe(23);
  });

  it('filters and full-text search', async () => {
    const word = uid('zebra').replace('-', '');
    const t = (await post({ ...good(), subject: `About the ${word}`, priority: 'urgent', tags: ['vip'] })).body;
    const q = await api.http().get(`/api/tickets?q=${word}`).set(bearer(admin));
    expect(q.body.items.map((x: { id: string }) => x.id)).toEqual([t.id]);
    const f = await api.http().get(`/api/tickets?priority=urgent&tag=vip&status=new,open`).set(bearer(admin));
    expect(f.body.items.map((x: { id: string }) => x.id)).toContain(t.id);
    expect(f.body.items.every((x: { priority: string; tags: string[] }) => x.priority === 'urgent' && x.tags.includes('vip'))).toBe(true);
  });
});
