/**
 * npm run bench -- retention
 *
 * Loads N tickets (SQL bulk, with their ticket_retention rows and CSAT/SLA keys) and 3N orders
 * through the real importer (POST /api/orders/import, NDJSON streamed over HTTP to the API as a
 * child process), then times GET /api/retention/repurchase at 30/60/90 days grouped by CSAT and by
 * SLA met, beside one hand-written SQL query computing the same rates straight from tickets and
 * orders (and checks both agree). Repeats at 10× less data.
 *
 * Env: BENCH_TICKETS (default 1000000), BENCH_SCALES (default "0.1,1"), BENCH_RUNS (report
 * repetitions per config, default 15), BENCH_RAW_RUNS (default 3).
 */
import http from 'node:http';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { adminSession, request, scratchDatabase, seededRandom, startChild, summarize } from './support';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 1_000_000);
const SCALES = (process.env.BENCH_SCALES ?? '0.1,1').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const RAW_RUNS = Number(process.env.BENCH_RAW_RUNS ?? 3);
const DAY = 86_400_000;

async function loadTickets(c: Client, tickets: number, customers: number) {
  const t0 = Date.now();
  await c.query(`INSERT INTO customers (external_id, email) SELECT 'bc' || g, 'bc' || g || '@bench.example' FROM generate_series(1, $1) g`, [customers]);
  // Tickets over the last 400 days, ~80% solved within 3 days; a sample of CSAT answers and SLA outcomes.
  await c.query(
    `INSERT INTO tickets (subject, status, priority, channel, tags, customer_id, created_at, solved_at, first_response_at)
     SELECT 'bench ' || g, CASE WHEN g % 5 = 0 THEN 'open' ELSE 'solved' END,
            (ARRAY['low','normal','high','urgent'])[1 + g % 4], (ARRAY['email','web','chat','phone','api'])[1 + g % 5], '{}',
            cu.id, ts, CASE WHEN g % 5 = 0 THEN NULL ELSE ts + (g % 72) * interval '1 hour' END, ts + (g % 30) * interval '1 hour'
     FROM generate_series(1, $1) g
     CROSS JOIN LATERAL (SELECT now() - (g % 400) * interval '1 day' - (g % 1440) * interval '1 minute' AS ts) x
     JOIN customers cu ON cu.external_id = 'bc' || (1 + (g::bigint * 7919) % $2)`,
    [tickets, customers],
  );
  await c.query(
    `INSERT INTO ticket_retention (ticket_id, customer_id, anchor_at, solved, next_order_at, agent_id, team_id, channel, priority, tags,
                                   first_response_minutes, csat_score, sla_met)
     SELECT t.id, t.customer_id, coalesce(t.solved_at, t.created_at), t.solved_at IS NOT NULL, NULL, NULL, NULL, t.channel, t.priority, t.tags,
            extract(epoch FROM t.first_response_at - t.created_at) / 60,
            CASE WHEN t.number % 3 = 0 THEN 1 + (t.number * 31) % 5 END,
            CASE WHEN t.number % 4 = 0 THEN NULL ELSE (t.number * 17) % 10 < 8 END
     FROM tickets t`,
  );
  await c.query('ANALYZE');
  return (Date.now() - t0) / 1000;
}

/** NDJSON orders generated on the fly (never held in memory) and POSTed as one streamed body. */
function importOrders(api: string, apiKey: string, orders: number, customers: number): Promise<{ status: number; body: any }> {
  const rand = seededRandom(42);
  let i = 0;
  const now = Date.now();
  const body = new Readable({
    read() {
      let chunk = '';
      for (let k = 0; k < 1000 && i < orders; k++, i++) {
        const cust = 1 + Math.floor(rand() * customers);
        const placed = new Date(now - rand() * 420 * DAY).toISOString();
        chunk += `{"externalId":"bo${i}","customer":{"externalId":"bc${cust}"},"placedAt":"${placed}","total":${(5 + rand() * 200).toFixed(2)},"currency":"EUR"}\n`;
      }
      this.push(chunk || null);
    },
  });
  return new Promise((resolve, reject) => {
    const u = new URL('/api/orders/import', api);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'Content-Type': 'application/x-ndjson', 'X-Api-Key': apiKey } },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data || '{}') }));
      },
    );
    req.on('error', reject);
    body.pipe(req);
  });
}

/** The hand-written baseline: straight from tickets and orders, no precomputed rows. */
const RAW_SQL = (key: 'csat' | 'sla') => `
  SELECT ${key === 'csat' ? 'tr.csat_score::text' : `CASE tr.sla_met WHEN true THEN 'met' WHEN false THEN 'breached' END`} AS key,
         count(*) AS matured,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = t.customer_id
                                          AND o.placed_at > coalesce(t.solved_at, t.created_at)
                                          AND o.placed_at <= coalesce(t.solved_at, t.created_at) + make_interval(days => $1)
                                          AND o.placed_at <= $2)) AS retained
  FROM tickets t JOIN ticket_retention tr ON tr.ticket_id = t.id
  WHERE coalesce(t.solved_at, t.created_at) <= $2::timestamptz - make_interval(days => $1)
  GROUP BY 1`;

async function runScale(scale: number) {
  const tickets = Math.round(TICKETS * scale);
  const orders = tickets * 3;
  const customers = Math.max(100, Math.round(tickets / 4));
  const db = await scratchDatabase('retention');
  const c = new Client({ connectionString: db.url });
  await c.connect();
  const api = await startChild('api', { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: 'kdbench-retention', KEEPDESK_DATA_DIR: '/tmp/kd-bench-retention', ADMIN_EMAIL: 'bench@keepdesk.test', ADMIN_PASSWORD: 'bench-password', LOG_LEVEL: 'error' });
  try {
    console.log(`\n== ${tickets} tickets, ${orders} orders, ${customers} customers (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}) ==`);
    const ticketSeconds = await loadTickets(c, tickets, customers);
    console.log(`tickets + retention rows by SQL bulk: ${ticketSeconds.toFixed(1)} s`);
    const { apiKey, token } = await adminSession(api.url!, 'bench@keepdesk.test', 'bench-password');
    const t0 = Date.now();
    const imp = await importOrders(api.url!, apiKey, orders, customers);
    const importSeconds = (Date.now() - t0) / 1000;
    if (imp.status !== 200) throw new Error(`import failed: ${imp.status} ${JSON.stringify(imp.body).slice(0, 300)}`);
    console.log(
      `orders by the importer: ${imp.body.imported} in ${importSeconds.toFixed(1)} s = ${Math.round(imp.body.imported / importSeconds)} rows/s ` +
        `(errors ${imp.body.errors.length}, API peak RSS ${Math.round(api.peakRssMb())} MB)`,
    );
    await c.query('ANALYZE');
    const asOf = new Date().toISOString();
    // The import rebuilds the rollup in the background; the first report waits for that rebuild.
    const f0 = process.hrtime.bigint();
    const first = await request(`${api.url}/api/retention/repurchase?window=30&groupBy=csat&asOf=${encodeURIComponent(asOf)}`, 'GET', undefined, { Authorization: `Bearer ${token}` });
    if (first.status !== 200) throw new Error(`report ${first.status}: ${JSON.stringify(first.body)}`);
    console.log(`first report after the import (waits for the background rollup rebuild if still running): ${(Number(process.hrtime.bigint() - f0) / 1e6).toFixed(0)} ms; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const results: string[] = [];
    const mismatches: string[] = [];
    for (const window of [30, 60, 90]) {
      for (const groupBy of ['csat', 'sla'] as const) {
        const lat: number[] = [];
        let report: any = null;
        for (let i = 0; i < RUNS; i++) {
          const s = process.hrtime.bigint();
          const r = await request(`${api.url}/api/retention/repurchase?window=${window}&groupBy=${groupBy}&asOf=${encodeURIComponent(asOf)}`, 'GET', undefined, {
            Authorization: `Bearer ${token}`,
          });
          lat.push(Number(process.hrtime.bigint() - s) / 1e6);
          if (r.status !== 200) throw new Error(`report ${r.status}: ${JSON.stringify(r.body)}`);
          report = r.body;
        }
        const rawLat: number[] = [];
        let raw: { key: string | null; matured: string; retained: string }[] = [];
        for (let i = 0; i < RAW_RUNS; i++) {
          const s = process.hrtime.bigint();
          raw = (await c.query(RAW_SQL(groupBy), [window, asOf])).rows;
          rawLat.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
        // Every group either side has (a group with no matured ticket is absent from the raw query).
        const agree =
          raw.every((g) => {
            const mine = report.groups.find((x: { key: string | null }) => x.key === g.key);
            return mine && mine.matured === Number(g.matured) && mine.retained === Number(g.retained);
          }) && report.groups.every((x: { key: string | null; matured: number }) => x.matured === 0 || raw.some((g) => g.key === x.key));
        const a = summarize(lat);
        const b = summarize(rawLat);
        const line = `window ${String(window).padStart(2)} by ${groupBy.padEnd(4)}: report p50 ${a.p50.toFixed(0)} ms p99 ${a.p99.toFixed(0)} ms | raw SQL p50 ${b.p50.toFixed(0)} ms p99 ${b.p99.toFixed(0)} ms | ratio raw/report ${(b.p50 / a.p50).toFixed(1)}× | same numbers: ${agree ? 'yes' : 'NO'} | total rate ${report.total.rate}`;
        console.log(line);
        results.push(line);
        if (!agree) mismatches.push(line);
      }
    }
    // Kaplan–Meier curves read ticket_retention itself (one aggregated pass over the cohort), not the rollup.
    const km: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = process.hrtime.bigint();
      const r = await request(`${api.url}/api/retention/time-to-repurchase?groupBy=csat&asOf=${encodeURIComponent(asOf)}`, 'GET', undefined, { Authorization: `Bearer ${token}` });
      km.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (r.status !== 200) throw new Error(`time-to-repurchase ${r.status}`);
    }
    const k = summarize(km);
    console.log(`time to repurchase (Kaplan–Meier) by csat: p50 ${k.p50.toFixed(0)} ms p99 ${k.p99.toFixed(0)} ms`);
    // What a migration on an existing install, or tickets bulk-loaded by SQL, costs the first report: every day dirty.
    await c.query(`INSERT INTO retention_dirty_days (day) SELECT DISTINCT (anchor_at AT TIME ZONE 'UTC')::date FROM ticket_retention`);
    const r0 = process.hrtime.bigint();
    const rebuilt = await request(`${api.url}/api/retention/repurchase?window=30&groupBy=csat&asOf=${encodeURIComponent(asOf)}`, 'GET', undefined, { Authorization: `Bearer ${token}` });
    if (rebuilt.status !== 200) throw new Error(`report ${rebuilt.status}`);
    console.log(`report after marking every day dirty (full rollup rebuild): ${(Number(process.hrtime.bigint() - r0) / 1e6).toFixed(0)} ms; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    if (mismatches.length) throw new Error(`the report and the hand-written SQL disagree:\n${mismatches.join('\n')}`);
    return { tickets, orders, importRowsPerSecond: imp.body.imported / importSeconds };
  } finally {
    await c.end();
    await api.kill();
    await db.drop();
  }
}

async function main() {
  const started = Date.now();
  for (const s of SCALES) await runScale(s);
  console.log(`\nretention bench done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
