/**
 * npm run bench -- inbox [seconds]
 * 1,000 agents in 10 teams + 10 supervisors connected to /inbox from 3 client processes; tickets
 * created through the API at 50/s across the teams. Prints p50/p99/max from each HTTP 201 to the
 * ticket.created receipt at every entitled socket, beside a raw Socket.IO server measured in the same
 * run, the ratio, and the API's peak RSS. Then the same with the sockets and the writes split across
 * two API instances (Redis adapter for the raw baseline).
 *
 * The raw server does what the API's socket side does and nothing else: the same client processes
 * and rate, each socket in the same rooms (`user:<id>`, plus `team:<id>` or `supervisors`), and per
 * ticket the same broadcasts — the envelopes captured from the Keepdesk run just before it (same
 * shape and size: `{id, type, ticketId, at, data}` with the whole ticket), `ticket.created` and, as
 * round-robin assigns every ticket to an online agent, `ticket.assigned`, to the supervisors, the team
 * and the assignee. It answers 201 first, then broadcasts.
 */
import { ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import jwt from 'jsonwebtoken';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { Pool } from 'pg';
import { adminSession, request, scratchDatabase, startChild, summarize } from './support';

const SECONDS = Number(process.argv[2] ?? 20);
const RATE = 50;
const TEAMS = 10;
const AGENTS_PER_TEAM = 100;
const SUPERVISORS = 10;
const CLIENT_PROCS = 3;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const now = () => performance.timeOrigin + performance.now();

interface Conn {
  url: string;
  auth: Record<string, unknown>;
}
type Msg = { cmd: 'connect'; conns: Conn[] } | { cmd: 'report' } | { cmd: 'close' };
interface Envelope {
  id: string;
  type: string;
  ticketId: string | null;
  at: string;
  data: Record<string, any>;
}
/** One of each broadcast the API made per ticket, as a client received it. */
interface Shapes {
  created?: Envelope;
  assigned?: Envelope;
  /** Receipts per type, to check the raw server sends as many. */
  counts: Record<string, number>;
}

// ---------------------------------------------------------------- client process
async function clientProcess(): Promise<void> {
  type S = ReturnType<typeof io>;
  let sockets: S[] = [];
  let samples: [string, number][] = [];
  let shapes: Shapes = { counts: {} };
  const seen = (type: string, e: Envelope) => {
    shapes.counts[type] = (shapes.counts[type] ?? 0) + 1;
    if (type === 'ticket.created') shapes.created ??= e;
    if (type === 'ticket.assigned') shapes.assigned ??= e;
  };
  process.on('message', async (m: Msg) => {
    if (m.cmd === 'connect') {
      let failed = 0;
      for (let i = 0; i < m.conns.length; i += 100) {
        await Promise.all(
          m.conns.slice(i, i + 100).map(
            (c) =>
              new Promise<void>((resolve) => {
                const s = io(`${c.url}/inbox`, { auth: c.auth, transports: ['websocket'], reconnection: false, forceNew: true });
                s.on('ticket.created', (e: Envelope) => {
                  samples.push([e.ticketId!, now()]);
                  seen('ticket.created', e);
                });
                s.on('ticket.assigned', (e: Envelope) => seen('ticket.assigned', e));
                s.once('connect', () => {
                  sockets.push(s);
                  resolve();
                });
                s.once('connect_error', () => {
                  failed++;
                  resolve();
                });
              }),
          ),
        );
      }
      process.send!({ connected: sockets.length, failed });
    } else if (m.cmd === 'report') {
      process.send!({ samples, shapes });
      samples = [];
      shapes = { counts: {} };
    } else if (m.cmd === 'close') {
      sockets.forEach((s) => s.close());
      sockets = [];
      process.send!({ closed: true });
    }
  });
}

// ---------------------------------------------------------------- raw Socket.IO server process
/** The captured envelope for another ticket: same keys, same value lengths, new ids. */
function like(sample: Envelope, id: string, ticketId: string, teamId: string, assigneeId: string | null): Envelope {
  const data = structuredClone(sample.data);
  if (data.ticket) Object.assign(data.ticket, { id: ticketId, teamId, assigneeId });
  if ('assigneeId' in data) data.assigneeId = assigneeId;
  return { id, type: sample.type, ticketId, at: new Date().toISOString(), data };
}

async function rawServer(redisPrefix: string | undefined): Promise<void> {
  const shapes = await new Promise<Shapes>((resolve) => process.once('message', (m) => resolve(m as Shapes)));
  if (!shapes.created) throw new Error('raw server: no ticket.created envelope captured from the Keepdesk run');
  const server = http.createServer();
  const io = new Server(server);
  if (redisPrefix) {
    const pub = new Redis(REDIS_URL);
    io.adapter(createAdapter(pub, pub.duplicate(), { key: `${redisPrefix}:raw` }));
  }
  const ns = io.of('/inbox');
  ns.on('connection', (s) => {
    const a = s.handshake.auth as { userId: string; teamId?: string; supervisor?: boolean };
    s.join([`user:${a.userId}`, a.supervisor ? 'supervisors' : `team:${a.teamId}`]);
  });
  // Round-robin over the team's agents (the driver sends them, as the API reads them from its database).
  const turn = new Map<string, number>();
  let seq = 0;
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { teamId, team } = JSON.parse(Buffer.concat(chunks).toString()) as { teamId: string; team: string[] };
      const ticketId = randomUUID();
      const k = turn.get(teamId) ?? 0;
      turn.set(teamId, k + 1);
      const assigneeId = shapes.assigned ? team[k % team.length] : null;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: ticketId }));
      const rooms = ['supervisors', `team:${teamId}`, ...(assigneeId ? [`user:${assigneeId}`] : [])];
      ns.to(rooms).emit('ticket.created', like(shapes.created!, String(++seq), ticketId, teamId, assigneeId));
      if (shapes.assigned) ns.to(rooms).emit('ticket.assigned', like(shapes.assigned, String(++seq), ticketId, teamId, assigneeId));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    process.send!({ url: `http://127.0.0.1:${port}` });
  });
}

// ---------------------------------------------------------------- driver
function ask<T>(p: ChildProcess, m: unknown): Promise<T> {
  return new Promise((resolve) => {
    p.once('message', (r) => resolve(r as T));
    p.send(m as object);
  });
}

async function spawnRaw(shapes: Shapes, prefix?: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = fork(__filename, ['raw', prefix ?? ''], { stdio: 'inherit' });
  proc.send(shapes);
  const { url } = await new Promise<{ url: string }>((resolve) => proc.once('message', (m) => resolve(m as { url: string })));
  return { url, proc };
}

interface Result {
  label: string;
  tickets: number;
  deliveries: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  /** From sending the POST to receipt: positive even when the event beats the HTTP response. */
  e2e: { p50: number; p99: number; max: number };
  rss?: string;
  shapes: Shapes;
}

async function phase(
  label: string,
  clients: ChildProcess[],
  urls: string[],
  auths: { auth: Record<string, unknown>; teamIdx: number | null }[],
  post: (url: string, teamIdx: number) => Promise<string | null>,
): Promise<Result> {
  // Sockets spread round-robin over the instances and the client processes.
  const perProc: Conn[][] = clients.map(() => []);
  auths.forEach((a, i) => perProc[i % clients.length].push({ url: urls[i % urls.length], auth: a.auth }));
  const conn = await Promise.all(clients.map((c, i) => ask<{ connected: number; failed: number }>(c, { cmd: 'connect', conns: perProc[i] })));
  const connected = conn.reduce((n, c) => n + c.connected, 0);
  if (connected !== auths.length) throw new Error(`${label}: ${connected}/${auths.length} sockets connected`);
  await new Promise((r) => setTimeout(r, 2000)); // presence fan-out of 1,010 connects settles
  await Promise.all(clients.map((c) => ask(c, { cmd: 'report' }))); // drop warm-up samples

  const sent = new Map<string, { at: number; posted: number }>();
  const total = SECONDS * RATE;
  const started = now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const posted = now();
    inflight.push(
      post(urls[i % urls.length], i % TEAMS).then((id) => {
        if (id) sent.set(id, { at: now(), posted });
      }),
    );
  }
  await Promise.all(inflight);
  await new Promise((r) => setTimeout(r, 2000));
  const reports = await Promise.all(clients.map((c) => ask<{ samples: [string, number][]; shapes: Shapes }>(c, { cmd: 'report' })));
  const shapes: Shapes = { counts: {} };
  for (const r of reports) {
    shapes.created ??= r.shapes.created;
    shapes.assigned ??= r.shapes.assigned;
    for (const [t, n] of Object.entries(r.shapes.counts)) shapes.counts[t] = (shapes.counts[t] ?? 0) + n;
  }
  await Promise.all(clients.map((c) => ask(c, { cmd: 'close' })));
  const lat: number[] = [];
  const e2e: number[] = [];
  for (const r of reports)
    for (const [id, t] of r.samples) {
      const s = sent.get(id);
      if (!s) continue;
      lat.push(t - s.at);
      e2e.push(t - s.posted);
    }
  const s = summarize(lat);
  const e = summarize(e2e);
  return {
    label,
    tickets: sent.size,
    deliveries: lat.length,
    expected: sent.size * (AGENTS_PER_TEAM + SUPERVISORS),
    p50: s.p50,
    p99: s.p99,
    max: s.max,
    e2e: { p50: e.p50, p99: e.p99, max: e.max },
    shapes,
  };
}

async function main(): Promise<void> {
  const db = await scratchDatabase('inbox');
  const secret = randomBytes(24).toString('hex');
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_PREFIX: `kdbench-${randomBytes(3).toString('hex')}`,
    JWT_SECRET: secret,
    ADMIN_EMAIL: 'bench@keepdesk.localhost',
    ADMIN_PASSWORD: 'bench-password',
    NODE_ENV: 'production',
    PUBLIC_URL: 'http://localhost',
    SMTP_URL: 'smtp://127.0.0.1:2525',
  };
  const pool = new Pool({ connectionString: db.url, max: 4 });
  const clients = Array.from({ length: CLIENT_PROCS }, () => fork(__filename, ['client'], { stdio: 'inherit' }));
  const results: Result[] = [];
  try {
    // Seed 10 teams, 1,000 agents, 10 supervisors directly (bcrypt for 1,010 logins would dominate the run).
    const teamIds = (await pool.query(`INSERT INTO teams (name) SELECT 'bench-team-' || g FROM generate_series(1, ${TEAMS}) g RETURNING id`)).rows.map((r) => r.id as string);
    const agents = await pool.query(
      `INSERT INTO users (email, name, password_hash, role, capacity, available)
       SELECT 'agent' || g || '@bench.localhost', 'Agent ' || g, 'x', 'agent', 100000, false FROM generate_series(1, ${TEAMS * AGENTS_PER_TEAM}) g RETURNING id`,
    );
    const sups = await pool.query(
      `INSERT INTO users (email, name, password_hash, role) SELECT 'sup' || g || '@bench.localhost', 'Sup ' || g, 'x', 'supervisor' FROM generate_series(1, ${SUPERVISORS}) g RETURNING id`,
    );
    const agentIds = agents.rows.map((r) => r.id as string);
    await pool.query(`INSERT INTO team_members (team_id, user_id) SELECT ($1::uuid[])[((i - 1) % ${TEAMS}) + 1], u FROM unnest($2::uuid[]) WITH ORDINALITY AS x(u, i)`, [teamIds, agentIds]);
    const token = (sub: string, role: string) => jwt.sign({ sub, role }, secret, { algorithm: 'HS256', expiresIn: '2h' });
    const keepdeskAuths = [
      ...agentIds.map((id, i) => ({ auth: { token: token(id, 'agent') }, teamIdx: i % TEAMS })),
      ...sups.rows.map((r) => ({ auth: { token: token(r.id, 'supervisor') }, teamIdx: null })),
    ];
    const rawAuths = [
      ...agentIds.map((id, i) => ({ auth: { userId: id, teamId: teamIds[i % TEAMS] }, teamIdx: i % TEAMS })),
      ...sups.rows.map((r) => ({ auth: { userId: r.id as string, supervisor: true }, teamIdx: null })),
    ];
    const teamMembers = teamIds.map((_, t) => agentIds.filter((_, i) => i % TEAMS === t));
    const rawPost = async (url: string, teamIdx: number) => {
      const r = await request(`${url}/tickets`, 'POST', { teamId: teamIds[teamIdx], team: teamMembers[teamIdx] });
      return r.status === 201 ? (r.body.id as string) : null;
    };

    for (const instances of (process.env.INBOX_BENCH_INSTANCES ?? '1,2').split(',').map(Number)) {
      const apis = [];
      for (let i = 0; i < instances; i++) apis.push(await startChild('api', env));
      const { apiKey } = await adminSession(apis[0].url!, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
      let errors = 0;
      const apiPost = async (url: string, teamIdx: number) => {
        const r = await request(`${url}/api/tickets`, 'POST', { subject: 'bench', body: 'Where is my order?', customer: { email: `c${randomBytes(4).toString('hex')}@bench.localhost` }, teamId: teamIds[teamIdx] }, { 'x-api-key': apiKey });
        if (r.status !== 201 && errors++ < 3) console.error(`POST /api/tickets: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        return r.status === 201 ? (r.body.id as string) : null;
      };
      const k = await phase(`Keepdesk, ${instances} API instance${instances > 1 ? 's' : ''}`, clients, apis.map((a) => a.url!), keepdeskAuths, apiPost);
      k.rss = apis.map((a) => `${a.peakRssMb()} MB`).join(' + ');
      if (errors) k.label += ` (${errors} HTTP errors)`;
      await Promise.all(apis.map((a) => a.kill()));
      const raws = [];
      for (let i = 0; i < instances; i++) raws.push(await spawnRaw(k.shapes, instances > 1 ? env.REDIS_PREFIX : undefined));
      const r = await phase(`raw Socket.IO, ${instances} server${instances > 1 ? 's + Redis adapter' : ''}`, clients, raws.map((x) => x.url), rawAuths, rawPost);
      raws.forEach((x) => x.proc.kill());
      results.push(k, r);
    }
  } finally {
    for (const c of clients) c.kill();
    await pool.end();
    await db.drop().catch(() => undefined);
  }
  const f = (n: number) => n.toFixed(1);
  console.log(`\n/inbox: ${TEAMS * AGENTS_PER_TEAM} agents in ${TEAMS} teams + ${SUPERVISORS} supervisors (${CLIENT_PROCS} client processes), ${RATE} tickets/s for ${SECONDS} s; latency from HTTP 201 to ticket.created at each entitled socket\n`);
  console.log('(a negative figure: the event reached the socket before the HTTP response reached the client; "POST→receipt" counts from sending the request)\n');
  console.log('| run | tickets | deliveries (expected) | 201→receipt p50 / p99 / max | POST→receipt p50 / p99 / max | peak API RSS |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.label} | ${r.tickets} | ${r.deliveries} (${r.expected}) | ${f(r.p50)} / ${f(r.p99)} / ${f(r.max)} ms | ${f(r.e2e.p50)} / ${f(r.e2e.p99)} / ${f(r.e2e.max)} ms | ${r.rss ?? ''} |`);
  }
  for (let i = 0; i < results.length; i += 2) {
    const [k, r] = [results[i], results[i + 1]];
    console.log(
      `\n${k.label} vs ${r.label}: 201→receipt p99 ×${(k.p99 / r.p99).toFixed(2)}; POST→receipt p50 ×${(k.e2e.p50 / r.e2e.p50).toFixed(2)}, p99 ×${(k.e2e.p99 / r.e2e.p99).toFixed(2)} (target: p99 < 50 ms and ≤ 2× raw)`,
    );
    const size = (e?: Envelope) => (e ? `${Buffer.byteLength(JSON.stringify(e))} B` : '—');
    console.log(
      `  envelopes: ticket.created ${size(k.shapes.created)} / ${size(r.shapes.created)}, ticket.assigned ${size(k.shapes.assigned)} / ${size(r.shapes.assigned)}; receipts per type: ${JSON.stringify(k.shapes.counts)} / ${JSON.stringify(r.shapes.counts)} (Keepdesk / raw)`,
    );
  }
}

const role = process.argv[2];
if (role === 'client') void clientProcess();
else if (role === 'raw') void rawServer(process.argv[3] || undefined);
else
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
