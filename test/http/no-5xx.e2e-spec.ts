import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import { Pool } from 'pg';
import { signOrderWebhook } from '@keepdesk/retention';
import { ADMIN, adminToken, bearer, closeDb, newAgent, newApiKey, newTeam, newTicket, startApi, TestApi, uid } from '@keepdesk/testing';
import { createMigratedDatabase, dropDatabase } from '../../migrations/scratch-database';
import { deleteRedisPrefix } from '../support/global-teardown';
import { seededRandom } from '../support/random';
import { deriveTokenKey, signSurveyToken } from '../../libs/surveys/src/survey-token';

/**
 * SPEC: "No input, however malformed, gives a 5xx", and every 4xx is `{statusCode, error, message}`
 * naming the field at fault. This suite reads the app's own OpenAPI document and, for every
 * operation, sends a valid-ish request and then hostile variants of it: each body field and query
 * parameter given the wrong type, null, nothing, huge and negative numbers, impossible dates,
 * NUL, lone surrogates, deep nesting, arrays for objects; unknown fields; bodies of other shapes
 * and content types; non-UUID path ids; as admin, agent, API key, anonymous and with forged tokens.
 * Deterministic: one seeded RNG picks the samples, and the same seed sends the same requests.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const WEBHOOK_SECRET = 'fuzz-webhook-secret-0123456789';
const CONCURRENCY = 8;
const COMBINATIONS = 12;
const json = (b: unknown) => JSON.stringify(b);

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  allOf?: Schema[];
  nullable?: boolean;
  minimum?: number;
};
type Parameter = { name: string; in: 'query' | 'path' | 'header'; required?: boolean; schema?: Schema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } };
type Auth = 'admin' | 'agent' | 'apiKey' | 'xApiKey' | 'anonymous' | 'garbage' | 'jwtNonUuidSub' | 'jwtUnknownRole' | 'jwtNone' | 'expired' | 'badKey';

interface Probe {
  op: string;
  what: string;
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The field the probe breaks: a 400 must name it. */
  field?: string;
  auth: Auth;
  /** Survey pages answer HTML: only "no 5xx" applies. */
  html?: boolean;
  /** An order webhook probe that brings its own (bad) signature headers. */
  unsigned?: boolean;
  /** An import whose good lines must be stored even though another line is bad. */
  minImported?: number;
}

interface Outcome {
  probe: Probe;
  status: number;
  text: string;
}

// --- hostile values --------------------------------------------------------------------------------

const deep = (levels: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

const HOSTILE_VALUES: [string, unknown][] = [
  ['null', null],
  ['number', 42],
  ['negative', -1],
  ['zero', 0],
  ['fraction', 1.5],
  ['huge number', 1e308],
  ['beyond int64', 2 ** 63],
  ['beyond int32', 2147483648],
  ['beyond safe integer', 2 ** 53 + 2],
  ['boolean', true],
  ['empty string', ''],
  ['blank string', '   '],
  ['long string', 'x'.repeat(10001)],
  ['NUL', 'a\u0000b'],
  ['lone surrogate', 'a\uD800b'],
  ['emoji', '👋🏽'],
  ['year 10000', '10000-01-01T00:00:00Z'],
  ['expanded year', '+010000-01-01T00:00:00Z'],
  ['year 0', '0000-01-01T00:00:00Z'],
  ['negative year', '-000001-01-01T00:00:00Z'],
  ['Feb 30', '2026-02-30'],
  ['Feb 30 instant', '2026-02-30T10:00:00Z'],
  ['month 13', '2026-13-01T00:00:00Z'],
  ['hour 25', '2026-01-01T25:00:00Z'],
  ['offset overflow', '9999-12-31T23:59:59-14:00'],
  ['date only', '2026-01-01'],
  // Valid, but at the edges: arithmetic on them (windows, deadlines) must not leave years 1-9999.
  ['first instant', '0001-01-01T00:00:00Z'],
  ['last instant', '9999-12-31T23:59:59Z'],
  ['number string', '12345678901234567890'],
  ['NaN string', 'NaN'],
  ['nil uuid', '00000000-0000-0000-0000-000000000000'],
  ['random uuid', 'b3b1c5a4-5f4e-4c3a-9d1e-2f6a7b8c9d0e'],
  ['not a uuid', 'not-a-uuid'],
  ['sql', "' OR 1=1 --"],
  ['html', '<script>alert(1)</script>'],
  ['bad timezone', 'Mars/Olympus_Mons'],
  ['empty array', []],
  ['array of junk', [null, 1, {}, 'a\u0000']],
  ['object', { a: 1 }],
  ['empty object', {}],
  ['deep nesting', deep(40)],
];

const QUERY_VALUES: [string, string][] = [
  ['empty', ''],
  ['junk', 'junk'],
  ['negative', '-1'],
  ['zero', '0'],
  ['fraction', '1.5'],
  ['huge', '1e308'],
  ['beyond int64', '99999999999999999999'],
  ['NUL', 'a%00b'],
  ['lone surrogate (UTF-8 of U+D800)', '%ED%A0%80'],
  ['broken percent', '%E0%A4%A'],
  ['year 10000', '10000-01-01T00:00:00Z'],
  ['year 0', '0000-01-01T00:00:00Z'],
  ['Feb 30', '2026-02-30'],
  ['offset overflow', '9999-12-31T23:59:59-14:00'],
  ['date only', '2026-01-01'],
  ['first instant', '0001-01-01T00:00:00Z'],
  ['last instant', '9999-12-31T23:59:59Z'],
  ['nil uuid', '00000000-0000-0000-0000-000000000000'],
  ['random uuid', 'b3b1c5a4-5f4e-4c3a-9d1e-2f6a7b8c9d0e'],
  ['long', 'x'.repeat(3000)],
  ['comma list', 'a,b,,c'],
  ['sql', "'%20OR%201%3D1%20--"],
  ['all', 'all'],
  ['true', 'true'],
];

const PATH_IDS: [string, string][] = [
  ['not a uuid', 'not-a-uuid'],
  ['number', '1'],
  ['nil uuid', '00000000-0000-0000-0000-000000000000'],
  ['random uuid', 'b3b1c5a4-5f4e-4c3a-9d1e-2f6a7b8c9d0e'],
  ['upper-case unknown uuid', 'B3B1C5A4-5F4E-4C3A-9D1E-2F6A7B8C9D0E'],
  ['NUL', 'a%00b'],
  ['lone surrogate (UTF-8 of U+D800)', '%ED%A0%80'],
  ['broken percent', '%E0%A4%A'],
  ['long', 'x'.repeat(600)],
  ['dots', '..%2F..%2Fetc'],
  ['emoji', '%F0%9F%91%8B'],
];

// --- the suite -------------------------------------------------------------------------------------

describe('no input gives a 5xx, every 4xx names the problem (OpenAPI-driven)', () => {
  let api: TestApi;
  const tokens: Partial<Record<Auth, Record<string, string>>> = {};
  const ids: Record<string, string> = {};
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  const random = seededRandom(SEED);
  const pick = <T>(xs: T[], n: number): T[] => {
    const copy = [...xs];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  };

  // Its own database and Redis prefix: the suite creates catch-all SLA policies and changes survey and
  // churn settings, which other suites in the same run must not see.
  const database = `keepdesk_fuzz_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const redisPrefix = `${process.env.REDIS_PREFIX}-fuzz`;
  const previousWebhookSecret = process.env.ORDERS_WEBHOOK_SECRET;
  let databaseUrl = '';
  /**
   * Links of sent surveys, unanswered (hostile answers leave them so) and answered (for comments);
   * several of each, as one link takes 10 answers a minute.
   */
  const surveyTokens: { open: string[]; answered: string[] } = { open: [], answered: [] };

  beforeAll(async () => {
    // The webhook guard reads the secret per request from the environment; restored in afterAll.
    process.env.ORDERS_WEBHOOK_SECRET = WEBHOOK_SECRET;
    const url = await createMigratedDatabase(database);
    databaseUrl = url;
    // TRUST_PROXY: survey probes come from many (forwarded) addresses, under the per-address limit.
    api = await startApi({ DATABASE_URL: url, REDIS_PREFIX: redisPrefix, ORDERS_WEBHOOK_SECRET: WEBHOOK_SECRET, TRUST_PROXY: '127.0.0.1' });
    const admin = await adminToken(api);
    const team = await newTeam(api, admin);
    const agent = await newAgent(api, admin, { teamIds: [team.id] });
    const key = await newApiKey(api, admin);
    const ticket = await newTicket(api, key, { teamId: team.id });
    const hours = await api.http().post('/api/business-hours').set(bearer(admin)).send({ name: uid('bh'), timezone: 'Europe/Berlin', weekly: [{ day: 1, open: '09:00', close: '17:00' }] });
    const policy = await api.http().post('/api/sla-policies').set(bearer(admin)).send({ name: uid('policy'), targets: { firstResponseMinutes: 60 } });
    const hook = await api.http().post('/api/webhooks').set(bearer(admin)).send({ url: 'https://example.com/hook', events: ['*'] });
    // The routes that change or delete what they are given get objects of their own, so the
    // callers above stay valid for the rest of the run.
    const spareAgent = await newAgent(api, admin, { teamIds: [team.id] });
    await newApiKey(api, admin);
    const keys = await api.http().get('/api/api-keys').set(bearer(admin));
    const keyList: { id: string; name: string }[] = keys.body.items ?? keys.body;
    const spareHook = await api.http().post('/api/webhooks').set(bearer(admin)).send({ url: 'https://example.com/spare', events: ['*'] });
    Object.assign(ids, {
      teamId: team.id,
      agentId: agent.id,
      spareAgentId: spareAgent.id,
      ticketId: ticket.id,
      customerId: ticket.customerId,
      businessHoursId: hours.body.id,
      policyId: policy.body.id,
      webhookId: spareHook.body.id,
      liveWebhookId: hook.body.id,
      apiKeyId: keyList[keyList.length - 1].id, // the spare: listed by creation
    });
    // Sent surveys, written straight into this suite's database (sending them takes the worker and a
    // mail round trip), and their links signed as the mailer signs them.
    const pool = new Pool({ connectionString: databaseUrl, max: 1 });
    try {
      for (const which of [...Array(12).fill('open'), ...Array(6).fill('answered')] as ('open' | 'answered')[]) {
        const t = await newTicket(api, key);
        const row = await pool.query(
          `INSERT INTO surveys (ticket_id, customer_id, type, channel, state, scheduled_at, sent_at, expires_at, score, answered_at)
           VALUES ($1, $2, 'csat', 'email', 'sent', now(), now(), now() + interval '14 days', $3, $4) RETURNING id, expires_at`,
          [t.id, t.customerId, which === 'answered' ? 4 : null, which === 'answered' ? new Date() : null],
        );
        surveyTokens[which].push(signSurveyToken(deriveTokenKey(process.env.JWT_SECRET!), { surveyId: row.rows[0].id, ticketId: t.id, expiresAt: row.rows[0].expires_at }));
      }
    } finally {
      await pool.end();
    }
    const secret = process.env.JWT_SECRET!;
    Object.assign(tokens, {
      admin: bearer(admin),
      agent: bearer(agent.token),
      apiKey: bearer(key),
      xApiKey: { 'X-Api-Key': key },
      anonymous: {},
      garbage: { Authorization: 'Bearer not.a.jwt' },
      jwtNonUuidSub: bearer(jwt.sign({ sub: 'admin', role: 'admin' }, secret, { algorithm: 'HS256' })),
      jwtUnknownRole: bearer(jwt.sign({ sub: randomUUID(), role: 'root' }, secret, { algorithm: 'HS256' })),
      jwtNone: bearer(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: agent.id, role: 'admin' })).toString('base64url')}.`),
      expired: bearer(jwt.sign({ sub: agent.id, role: 'agent', exp: 1 }, secret, { algorithm: 'HS256' })),
      badKey: { 'X-Api-Key': 'kd_\u00ff'.replace('\u00ff', 'x'.repeat(43)) },
    } satisfies Record<Auth, Record<string, string>>);
    doc = (await api.http().get('/api/docs-json')).body;
  });

  afterAll(async () => {
    await api?.close();
    await closeDb();
    await dropDatabase(database);
    await deleteRedisPrefix(process.env.REDIS_URL!, redisPrefix);
    if (previousWebhookSecret === undefined) delete process.env.ORDERS_WEBHOOK_SECRET;
    else process.env.ORDERS_WEBHOOK_SECRET = previousWebhookSecret;
  });

  const resolve = (s: Schema | undefined): Schema => {
    if (!s) return {};
    if (s.$ref) return resolve(doc.components.schemas[s.$ref.split('/').pop()!]);
    if (s.allOf?.length) return resolve(s.allOf[0]);
    return s;
  };

  /** A value the route should accept, by field name first (the OpenAPI types are loose), then by schema. */
  function validValue(name: string, schema: Schema): unknown {
    const s = resolve(schema);
    const byName: Record<string, () => unknown> = {
      email: () => `${uid('fz')}@example.com`,
      sender: () => `${uid('fz')}@example.com`,
      password: () => 'fuzz-password-1',
      timezone: () => 'Europe/Berlin',
      currency: () => 'EUR',
      placedAt: () => '2026-03-01T10:00:00Z',
      until: () => '2026-03-01T10:00:00Z',
      from: () => '2026-01-01T00:00:00Z',
      to: () => '2026-02-01T00:00:00Z',
      asOf: () => '2026-06-01T00:00:00Z',
      url: () => 'https://example.com/hook',
      locale: () => 'en',
      phone: () => '+49 30 1234567',
      open: () => '09:00',
      close: () => '17:00',
      secret: () => 'fuzz-secret-0123456789',
      messageId: () => `<${uid('m')}@example.com>`,
      inReplyTo: () => `<${uid('m')}@example.com>`,
      references: () => `<${uid('m')}@example.com>`,
      externalId: () => uid('ext'),
      teamId: () => ids.teamId,
      moveToTeamId: () => ids.teamId,
      assigneeId: () => ids.agentId,
      businessHoursId: () => ids.businessHoursId,
      customerId: () => ids.customerId,
      ticketId: () => ids.ticketId,
      policyId: () => ids.policyId,
      teamIds: () => [ids.teamId],
      tags: () => ['vip'],
      holidays: () => ['2026-12-25'],
      events: () => ['survey.responded'],
      weekly: () => [{ day: 1, open: '09:00', close: '17:00' }],
      items: () => [{ sku: 'A1', qty: 1 }],
      lowScoreThreshold: () => 2,
      threshold: () => 0.5,
      holdoutPercent: () => 10,
      cooldownDays: () => 30,
      capacity: () => 3,
      day: () => 1,
      position: () => 5,
      warnAtPercent: () => 80,
      status: () => 'open',
      cursor: () => undefined,
      key: () => undefined,
      missing: () => undefined,
      score: () => 4,
    };
    if (byName[name]) return byName[name]();
    if (s.enum?.length) return s.enum[0];
    if (s.example !== undefined) return s.example;
    switch (s.type) {
      case 'object':
        return validObject(s);
      case 'array':
        return [validValue(name, s.items ?? {})];
      case 'number':
      case 'integer':
        return s.minimum ?? 1;
      case 'boolean':
        return true;
      default:
        return `fuzz ${uid('v')}`;
    }
  }

  function validObject(schema: Schema): Record<string, unknown> {
    const s = resolve(schema);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const value = validValue(k, v);
      if (value !== undefined) out[k] = value;
    }
    return out;
  }

  /** Every field path of a body, with its leaf name (what a 400 should mention). */
  function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    const out: (string | number)[][] = [];
    if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...fieldPaths(v, [...prefix, i])));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...fieldPaths(v, [...prefix, k]));
    return out;
  }

  const setPath = (obj: unknown, path: (string | number)[], value: unknown, remove = false): unknown => {
    const copy = structuredClone(obj) as Record<string | number, unknown>;
    let at = copy;
    for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (remove) {
      if (Array.isArray(at)) at.splice(last as number, 1);
      else delete at[last];
    } else at[last] = value;
    return copy;
  };

  /** How a 400 names the field at a path: customer.email, weekly[0].open; an array's items by the array (tags). */
  const fieldName = (path: (string | number)[]) => {
    const named = path.slice(0, path.findLastIndex((p) => typeof p === 'string') + 1);
    return named.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('') || 'body';
  };

  /** The probes for one operation. */
  /**
   * The probes for one operation: without `auth`, the valid-ish request as every kind of caller;
   * with it (a caller the route lets in), the hostile ones, so they reach validation and beyond.
   */
  function probesFor(method: string, template: string, op: Operation, auth?: Auth): Probe[] {
    const name = `${method.toUpperCase()} ${template}`;
    const params = op.parameters ?? [];
    const queryParams = params.filter((p) => p.in === 'query');
    const pathId = (n: string) =>
      ({ id: template.endsWith('/deliveries') ? ids.liveWebhookId : template.startsWith('/api/tickets') ? ids.ticketId : template.startsWith('/api/agents') ? ids.spareAgentId : template.startsWith('/api/api-keys') ? ids.apiKeyId : template.startsWith('/api/sla-policies') ? ids.policyId : template.startsWith('/api/business-hours') ? ids.businessHoursId : template.startsWith('/api/webhooks') ? ids.webhookId : ids.customerId })[n] ?? randomUUID();
    const path = (id?: string) => template.replace(/\{(\w+)\}/g, (_, n) => id ?? pathId(n));
    const validQuery: Record<string, string> = {};
    for (const p of queryParams) {
      const v = validValue(p.name, p.schema ?? {});
      if (p.required && v !== undefined) validQuery[p.name] = String(v);
      else if (p.required) validQuery[p.name] = '1';
    }
    if (template.endsWith('/deadline')) validQuery.minutes = '60';
    const qs = (q: Record<string, string>) => Object.entries(q).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const jsonSchema = op.requestBody?.content['application/json']?.schema;
    const validBody = template === '/api/auth/login' ? { ...ADMIN } : jsonSchema ? validObject(jsonSchema) : undefined;
    const isImport = !!op.requestBody && !jsonSchema;

    const base = (what: string, extra: Partial<Probe> = {}): Probe => ({
      op: name,
      what,
      method: method.toUpperCase(),
      path: path(),
      query: qs(validQuery),
      auth: auth ?? 'admin',
      ...(validBody !== undefined ? { body: json(validBody), headers: { 'Content-Type': 'application/json' } } : {}),
      ...extra,
    });
    const out: Probe[] = [];
    if (!auth) return (Object.keys(tokens) as Auth[]).map((caller) => base('valid-ish', { auth: caller }));
    // path ids
    if (template.includes('{')) for (const [what, id] of PATH_IDS) out.push(base(`path id: ${what}`, { path: path(id) }));
    // query parameters
    for (const p of queryParams) {
      const others = qs(Object.fromEntries(Object.entries(validQuery).filter(([k]) => k !== p.name)));
      // The values are already URL-encoded (some on purpose wrongly).
      for (const [what, v] of QUERY_VALUES) out.push(base(`query ${p.name}: ${what}`, { query: `${others}${others ? '&' : ''}${p.name}=${v}`, field: p.name }));
      out.push(base(`query ${p.name}: repeated`, { query: `${qs(validQuery)}&${p.name}=a&${p.name}=b`, field: p.name }));
      if (p.required) out.push(base(`query ${p.name}: missing`, { query: qs(Object.fromEntries(Object.entries(validQuery).filter(([k]) => k !== p.name))), field: p.name }));
    }
    if (method === 'get') {
      out.push(base('unknown query parameter', { query: `${qs(validQuery)}&color=red`, field: 'color' }));
    }
    // bodies
    if (validBody !== undefined) {
      for (const fieldPath of fieldPaths(validBody)) {
        const field = fieldName(fieldPath);
        out.push(base(`body ${fieldPath.join('.')}: missing`, { body: json(setPath(validBody, fieldPath, undefined, true)), field }));
        for (const [what, v] of HOSTILE_VALUES) out.push(base(`body ${fieldPath.join('.')}: ${what}`, { body: json(setPath(validBody, fieldPath, v)), field }));
      }
      // optional fields the valid body left out
      for (const [k, v] of Object.entries(resolve(jsonSchema).properties ?? {})) {
        if (k in validBody) continue;
        for (const [what, hv] of pick(HOSTILE_VALUES, 8)) out.push(base(`body ${k} (optional): ${what}`, { body: json({ ...validBody, [k]: hv }), field: k }));
        out.push(base(`body ${k} (optional): valid`, { body: json({ ...validBody, [k]: validValue(k, v) }) }));
      }
      out.push(base('unknown field', { body: json({ ...validBody, color: 'red' }), field: 'color' }));
      out.push(base('unknown field holding NUL in its name', { body: json({ ...validBody, 'co\u0000lor': 'red' }) }));
      for (const [what, b] of [
        ['array body', json([validBody])],
        ['string body', json('hello')],
        ['number body', '1e999'],
        ['null body', 'null'],
        ['true body', 'true'],
        ['empty object', '{}'],
        ['broken JSON', '{"a":'],
        ['empty body', ''],
        ['BOM + JSON', `\uFEFF${json(validBody)}`],
        ['duplicate keys', json(validBody).replace(/^\{/, '{"x":1,"x":2,')],
        ['__proto__', json(validBody).replace(/^\{/, '{"__proto__":{"admin":true},')],
        ['constructor.prototype', json(validBody).replace(/^\{/, '{"constructor":{"prototype":{"admin":true}},')],
        ['deep nesting', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`],
        ['too large', json({ ...validBody, pad: 'x'.repeat(1_100_000) })],
      ] as const) {
        out.push(base(what, { body: b }));
      }
      for (const type of ['application/x-ndjson', 'text/csv', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/vnd.api+json', 'application/octet-stream']) {
        out.push(base(`content type ${type}`, { headers: { 'Content-Type': type } }));
      }
      out.push(base('no content type', { headers: {} }));
      out.push(base('form-encoded body', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'subject=x&body=y&customer=z' }));
    }
    // Seeded combinations: several body fields and query parameters wrong, or at their edges, at once.
    const bodyPaths = validBody !== undefined ? fieldPaths(validBody) : [];
    if (!isImport && (bodyPaths.length || queryParams.length)) {
      for (let i = 0; i < COMBINATIONS; i++) {
        let b: unknown = validBody;
        for (const fieldPath of pick(bodyPaths, 1 + Math.floor(random() * 3))) {
          try {
            b = setPath(b, fieldPath, pick(HOSTILE_VALUES, 1)[0][1]);
          } catch {
            // an earlier pick replaced this field's parent with a scalar
          }
        }
        const raw = Object.fromEntries(Object.entries(validQuery).map(([k, v]) => [k, encodeURIComponent(v)]));
        for (const p of pick(queryParams, Math.floor(random() * 4))) raw[p.name] = pick(QUERY_VALUES, 1)[0][1];
        const query = Object.entries(raw).map(([k, v]) => `${k}=${v}`).join('&');
        out.push(base(`combination ${i}`, { query, ...(b !== undefined ? { body: json(b) } : {}) }));
      }
    }
    if (isImport) out.push(...importProbes(base));
    return out;
  }

  function importProbes(base: (what: string, extra?: Partial<Probe>) => Probe): Probe[] {
    const order = () => ({ externalId: uid('o'), customer: { email: `${uid('c')}@example.com`, name: 'Fuzz' }, placedAt: '2026-03-01T10:00:00Z', total: 10, currency: 'EUR', items: [{ sku: 'A1', qty: 1 }] });
    const out: Probe[] = [];
    // A bad line is a per-line error; the good lines around it are imported all the same.
    const ndjson = (what: string, lines: string[]) => out.push(base(`import ndjson: ${what}`, { auth: 'apiKey', headers: { 'Content-Type': 'application/x-ndjson' }, body: lines.join('\n'), minImported: 2 }));
    const csv = (what: string, text: string) => out.push(base(`import csv: ${what}`, { auth: 'apiKey', headers: { 'Content-Type': 'text/csv' }, body: text }));
    ndjson('valid', [json(order()), json(order())]);
    for (const fieldPath of fieldPaths(order())) {
      for (const [what, v] of HOSTILE_VALUES) ndjson(`${fieldPath.join('.')}: ${what}`, [json(order()), json(setPath(order(), fieldPath, v)), json(order())]);
    }
    for (const [what, line] of [
      ['broken JSON line', '{"a":'],
      ['null line', 'null'],
      ['array line', '[]'],
      ['deep line', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['NUL line', `{"externalId":"a\\u0000"}`],
      ['blank lines', '\n\n'],
      ['binary', '\u0000\u0001\u00ff'],
    ] as const) {
      ndjson(what, [json(order()), line, json(order())]);
    }
    const header = 'externalId,customerExternalId,customerEmail,placedAt,total,currency';
    csv('valid', `${header}\n${uid('o')},,a@example.com,2026-03-01T10:00:00Z,10,EUR\n`);
    for (const [what, v] of QUERY_VALUES.concat([
      ['quote', '"'],
      ['NUL', '\u0000'],
      ['lone surrogate', '\uD800'],
      ['comma', 'a,b'],
      ['year 10000', '10000-01-01'],
    ])) {
      for (const col of [0, 2, 3, 4, 5]) {
        const row = [uid('o'), '', 'a@example.com', '2026-03-01T10:00:00Z', '10', 'EUR'];
        row[col] = v;
        csv(`column ${col}: ${what}`, `${header}\n${row.join(',')}\n`);
      }
    }
    csv('wrong header', 'a,b,c\n1,2,3\n');
    csv('no header', '');
    csv('ragged rows', `${header}\n1,2\n`);
    csv('unterminated quote', `${header}\n"abc,,a@example.com,2026-03-01,10,EUR\n`);
    out.push(base('import as JSON', { auth: 'apiKey', headers: { 'Content-Type': 'application/json' }, body: json(order()) }));
    out.push(base('import with no content type', { auth: 'apiKey', headers: {}, body: 'x' }));
    return out;
  }

  /** The public survey pages are not in the OpenAPI document (HTML, no login): probed by hand. */
  function surveyProbes(): Probe[] {
    const out: Probe[] = [];
    const page = (what: string, extra: Partial<Probe>): Probe => ({ op: '/s/{token}', what, method: 'GET', path: '/s/not-a-token', auth: 'anonymous', html: true, ...extra });
    for (const [what, token] of PATH_IDS.concat([['jwt-ish', 'a.b.c'], ['forged', `${'A'.repeat(40)}.${'B'.repeat(43)}`]])) {
      out.push(page(`GET token ${what}`, { path: `/s/${token}` }));
      out.push(page(`POST token ${what}`, { method: 'POST', path: `/s/${token}`, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ score: 5 }) }));
    }
    for (const [what, v] of QUERY_VALUES) out.push(page(`GET score ${what}`, { query: `score=${v}` }));
    for (const [what, v] of HOSTILE_VALUES.slice(0, 20)) out.push(page(`POST score ${what}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ score: v, comment: v }) }));
    out.push(page('POST form', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'score=5&comment=a%00b' }));
    // Real links: hostile answers to an unanswered survey (none of the values is a valid CSAT score,
    // so it stays unanswered) and hostile comments to an answered one.
    let turn = 0;
    const open = () => `/s/${surveyTokens.open[turn++ % surveyTokens.open.length]}`;
    const answered = () => `/s/${surveyTokens.answered[turn++ % surveyTokens.answered.length]}`;
    for (const [what, v] of QUERY_VALUES) out.push(page(`GET real link, score ${what}`, { path: open(), query: `score=${v}` }));
    for (const [what, v] of HOSTILE_VALUES) {
      out.push(page(`POST real link, score ${what}`, { method: 'POST', path: open(), headers: { 'Content-Type': 'application/json' }, body: json({ score: v, comment: 'fine' }) }));
      out.push(page(`POST real link, comment ${what}`, { method: 'POST', path: open(), headers: { 'Content-Type': 'application/json' }, body: json({ score: 9, comment: v }) }));
      out.push(page(`POST answered link, comment ${what}`, { method: 'POST', path: answered(), headers: { 'Content-Type': 'application/json' }, body: json({ comment: v }) }));
    }
    for (const [what, v] of QUERY_VALUES) {
      out.push(page(`POST real link form, score ${what}`, { method: 'POST', path: open(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `score=${v}&comment=${v}` }));
    }
    out.push(page('POST real link, unknown fields', { method: 'POST', path: open(), headers: { 'Content-Type': 'application/json' }, body: json({ score: 0, extra: { a: 1 } }) }));
    out.push(page('POST csv', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: 'a,b' }));
    return out;
  }

  /** Routes and methods outside the document, and the order webhook's own headers. */
  function otherProbes(): Probe[] {
    const probe = (what: string, extra: Partial<Probe>): Probe => ({ op: 'other', what, method: 'GET', path: '/', auth: 'admin', ...extra });
    const out: Probe[] = [
      probe('metrics', { path: '/metrics', html: true }),
      probe('unknown route', { path: '/api/nope' }),
      probe('unknown route, anonymous', { path: '/api/nope', auth: 'anonymous' }),
      probe('unknown method', { method: 'DELETE', path: '/api/tickets' }),
      probe('HEAD', { method: 'HEAD', path: '/api/tickets', html: true }),
      probe('OPTIONS', { method: 'OPTIONS', path: '/api/tickets', html: true }),
      probe('web app, deep path', { path: '/some/deep/%00/path', auth: 'anonymous', html: true }),
    ];
    const order = json({ externalId: uid('o'), customer: { email: 'w@example.com' }, placedAt: '2026-03-01T10:00:00Z', total: 1, currency: 'EUR' });
    const now = Math.floor(Date.now() / 1000);
    const good = signOrderWebhook(WEBHOOK_SECRET, String(now), order);
    for (const [what, ts, sig] of [
      ['no headers', undefined, undefined],
      ['empty timestamp', '', good],
      ['text timestamp', 'yesterday', good],
      ['negative timestamp', '-1', good],
      ['huge timestamp', '99999999999999999999', good],
      ['exponent timestamp', '1e10', good],
      ['stale timestamp', String(now - 3600), signOrderWebhook(WEBHOOK_SECRET, String(now - 3600), order)],
      ['future timestamp', String(now + 3600), signOrderWebhook(WEBHOOK_SECRET, String(now + 3600), order)],
      ['signature not hex', String(now), 'z'.repeat(64)],
      ['signature too short', String(now), good.slice(1)],
      ['signature upper case', String(now), good.toUpperCase()],
      ['signature of another body', String(now), signOrderWebhook(WEBHOOK_SECRET, String(now), '{}')],
      ['signature with a prefix', String(now), `sha256=${good}`],
    ] as const) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (ts !== undefined) headers['X-Keepdesk-Timestamp'] = ts;
      if (sig !== undefined) headers['X-Keepdesk-Signature'] = sig;
      out.push(probe(`order webhook: ${what}`, { method: 'POST', path: '/api/webhooks/orders', auth: 'anonymous', headers, body: order, unsigned: true }));
    }
    return out;
  }

  let sent = 0;
  async function send(p: Probe): Promise<Outcome> {
    const n = sent++;
    const headers: Record<string, string> = { 'X-Forwarded-For': `10.77.${(n >> 8) & 255}.${n & 255}`, ...(tokens[p.auth] ?? {}), ...(p.headers ?? {}) };
    if (p.path === '/api/webhooks/orders' && p.body !== undefined && !p.unsigned) {
      const ts = String(Math.floor(Date.now() / 1000));
      headers['X-Keepdesk-Timestamp'] = ts;
      headers['X-Keepdesk-Signature'] = signOrderWebhook(WEBHOOK_SECRET, ts, Buffer.from(p.body, 'utf8'));
    }
    const url = `${api.url}${p.path}${p.query ? `?${p.query}` : ''}`;
    const r = await fetch(url, { method: p.method, headers, body: p.method === 'GET' || p.method === 'HEAD' ? undefined : p.body });
    return { probe: p, status: r.status, text: await r.text() };
  }

  /** What is wrong with an answer, or null. */
  function problem({ probe, status, text }: Outcome): string | null {
    if (status >= 500) return `${status}: ${text.slice(0, 300)}`;
    if (probe.minImported !== undefined) {
      if (status !== 200) return `the import failed as a whole (${status}) instead of reporting the bad line: ${text.slice(0, 300)}`;
      const report = JSON.parse(text) as { imported: number; duplicates: number };
      if (report.imported + report.duplicates < probe.minImported) return `only ${report.imported} lines imported: ${text.slice(0, 300)}`;
    }
    if (status < 400 || probe.html) return null;
    let body: { statusCode?: unknown; error?: unknown; message?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      return `${status} without a JSON body: ${text.slice(0, 200)}`;
    }
    if (body.statusCode !== status || typeof body.error !== 'string' || typeof body.message !== 'string' || !body.message) return `${status} body is not SPEC's error body: ${text.slice(0, 300)}`;
    if (body.message === body.error) return `${status} message says no more than the status: ${text.slice(0, 300)}`;
    if (status === 400 && probe.field && !(body.message as string).includes(probe.field) && !/nests|body|content type|Content-Type/i.test(body.message as string)) {
      return `400 does not name ${probe.field}: ${body.message}`;
    }
    return null;
  }

  it('answers every probe without a 5xx, with SPEC error bodies', async () => {
    const started = Date.now();
    const operations = Object.entries(doc.paths)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([template, ops]) => Object.entries(ops).map(([method, op]) => ({ method, template, op })));
    expect(operations.length).toBeGreaterThan(50);
    const run = async (probes: Probe[]) => {
      const done: Outcome[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < probes.length) done.push(await send(probes[next++]));
        }),
      );
      return done;
    };
    // First every route as every caller; then the hostile requests as a caller the route lets in.
    const outcomes = await run(operations.flatMap(({ method, template, op }) => probesFor(method, template, op)));
    const admitted = (op: string) =>
      (['admin', 'apiKey', 'agent'] as Auth[]).find((auth) => outcomes.some((o) => o.probe.op === op && o.probe.auth === auth && o.status !== 401 && o.status !== 403)) ?? 'admin';
    outcomes.push(...(await run([...operations.flatMap(({ method, template, op }) => probesFor(method, template, op, admitted(`${method.toUpperCase()} ${template}`))), ...surveyProbes(), ...otherProbes()])));
    const failures = outcomes.map((o) => ({ o, why: problem(o) })).filter((f) => f.why);
    const statuses: Record<number, number> = {};
    for (const o of outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    // One line per failure, grouped so a report reads like a to-do list.
    const report = failures.map(({ o, why }) => `${o.probe.op} [${o.probe.auth}] ${o.probe.what}: ${why}`);
    if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, outcomes.map((o) => `${o.status} ${o.probe.op} [${o.probe.auth}] ${o.probe.what}: ${o.text.slice(0, 200)}`).join('\n'));
    if (process.env.FUZZ_VERBOSE) console.log(`${outcomes.length} requests in ${Date.now() - started} ms, statuses ${JSON.stringify(statuses)}\n${report.join('\n')}`);
    expect(report).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(3000);
  }, 300_000);
});
