/**
 * npm run bench -- tickets [seconds] [levels, e.g. 1,8,32]
 * POST /api/tickets at 1, 8 and 32 concurrent clients for a bounded time against a real API process
 * (dist/, Fastify, Postgres, Redis); beside it, the same rows (customer upsert, ticket, first message,
 * ticket.created event) inserted with `pg` alone at the same concurrency, in the same run. Checks that
 * every ticket answered 201 is in the database.
 */
import { Pool } from 'pg';
import { adminSession, closedLoop, request, scratchDatabase, startChild, summarize, appEnv } from './support';

const SECONDS = Number(process.argv[2] ?? 8);
const LEVELS = (process.argv[3] ?? '1,8,32').split(',').map(Number);

async function main() {
  const db = await scratchDatabase('tickets');
  const env = appEnv(db.url);
  const api = await startChild('api', env);
  const { apiKey } = await adminSession(api.url!, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
  const pool = new Pool({ connectionString: db.url, max: 32 });
  const rows: string[] = [];
  let created = 0;
  try {
    // warm-up
    await closedLoop(8, 2, async (i) => (await post(api.url!, apiKey, `warm-${i}`)).status === 201);
    created += (await pool.query(`SELECT count(*)::int AS n FROM tickets`)).rows[0].n;
    for (const c of LEVELS) {
      const viaApi = await closedLoop(c, SECONDS, async (i) => {
        const r = await post(api.url!, apiKey, `api-${c}-${i}`);
        return r.status === 201;
      });
      created += viaApi.latencies.length;
      const raw = await closedLoop(c, SECONDS, async (i) => {
        await rawInsert(pool, `raw-${c}-${i}`);
        return true;
      });
      const a = summarize(viaApi.latencies);
      const r = summarize(raw.latencies);
      const apiRate = a.n / viaApi.elapsed;
      const rawRate = r.n / raw.elapsed;
      rows.push(
        `| ${c} | ${apiRate.toFixed(0)} | ${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} ms | ${viaApi.failures} | ${rawRate.toFixed(0)} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} ms | ${(apiRate / rawRate).toFixed(2)} |`,
      );
    }
    const inDb = (await pool.query(`SELECT count(*)::int AS n FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE c.email NOT LIKE 'raw-%'`)).rows[0].n;
    console.log(`\nPOST /api/tickets, ${SECONDS} s per level (API key auth, one API process, Postgres on the same 2-core machine)\n`);
    console.log('| clients | API tickets/s | API p50 / p99 | API errors | raw pg tickets/s | raw p50 / p99 | API/raw |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log(`\npeak API RSS: ${api.peakRssMb()} MB`);
    console.log(`count check: ${created} tickets answered 201, ${inDb} in the database → ${created === inDb ? 'OK' : 'MISMATCH'}`);
    if (created !== inDb) process.exitCode = 1;
  } finally {
    await api.kill();
    await pool.end();
    await db.drop();
  }
}

function post(url: string, key: string, tag: string) {
  return request(`${url}/api/tickets`, 'POST', { subject: `Order ${tag} late`, body: 'Where is my parcel?', customer: { email: `${tag}@bench.example`, name: 'Bench' }, priority: 'normal' }, { 'x-api-key': key });
}

/** The same rows the API writes for a new ticket, with pg alone: customer upsert, then ticket + message + event. */
async function rawInsert(pool: Pool, tag: string) {
  const c = await pool.query(
    `INSERT INTO customers (email, name) VALUES ($1, 'Bench') ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [`raw-${tag}@bench.example`],
  );
  await pool.query(
    `WITH t AS (INSERT INTO tickets (subject, status, priority, channel, tags, customer_id, search)
                VALUES ($1, 'new', 'normal', 'api', '{}', $2, to_tsvector('simple', $1)) RETURNING id),
          m AS (INSERT INTO messages (ticket_id, kind, body) SELECT id, 'customer', 'Where is my parcel?' FROM t)
     INSERT INTO ticket_events (ticket_id, type, actor_type, data) SELECT id, 'ticket.created', 'api_key', '{}' FROM t`,
    [`Order ${tag} late`, c.rows[0].id],
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
