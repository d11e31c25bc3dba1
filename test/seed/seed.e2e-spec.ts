import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { ROOT } from '@keepdesk/testing';
import { createMigratedDatabase, dropDatabase } from '../../migrations/scratch-database';

const run = promisify(execFile);

/** `npm run seed` on a database of its own (the demo's catch-all SLA policy would reach other tests' tickets). */
describe('npm run seed', () => {
  const name = `${process.env.KEEPDESK_TEST_DB}_seed`;
  let url: string;
  let pool: Pool;
  const seed = () => run(process.execPath, [join(ROOT, 'dist', 'apps', 'api', 'src', 'cli.js'), 'seed'], { env: { ...process.env, DATABASE_URL: url } });
  const q = async (sql: string) => (await pool.query(sql)).rows;

  beforeAll(async () => {
    url = await createMigratedDatabase(name);
    pool = new Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    await pool.end();
    await dropDatabase(name);
  });

  it('writes the demo: teams, agents, customers, tickets with SLA timers the engine would keep, CSAT answers, orders; a second run changes nothing', async () => {
    const first = await seed();
    expect(first.stdout).toContain('1000 tickets');
    const [counts] = await q(
      `SELECT (SELECT count(*)::int FROM teams) AS teams, (SELECT count(*)::int FROM users WHERE role <> 'admin') AS agents,
              (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM tickets) AS tickets,
              (SELECT count(*)::int FROM sla_timers) AS timers, (SELECT count(*)::int FROM ticket_retention) AS retention,
              (SELECT count(*)::int FROM orders) AS orders`,
    );
    expect(counts).toMatchObject({ teams: 3, agents: 7, customers: 200, tickets: 1000, timers: 2000, retention: 1000 });
    expect(counts.orders).toBeGreaterThan(300);

    // Nothing in the demo happened in the future (a future first response made a breach that had not happened yet).
    const [future] = await q(
      `SELECT (SELECT count(*)::int FROM tickets WHERE greatest(created_at, first_response_at, solved_at, closed_at, status_changed_at) > now()) AS tickets,
              (SELECT count(*)::int FROM messages WHERE created_at > now()) AS messages`,
    );
    expect(future).toEqual({ tickets: 0, messages: 0 });

    // Every state shows up, and each is consistent with the ticket it belongs to.
    const states = await q(`SELECT state, count(*)::int AS n FROM sla_timers GROUP BY state ORDER BY state`);
    expect(states.map((s) => s.state)).toEqual(['achieved', 'active', 'breached', 'paused']);
    const [bad] = await q(
      `SELECT
         count(*) FILTER (WHERE s.state = 'achieved' AND (s.achieved_at IS NULL OR s.achieved_at > s.due_at))::int AS late_achieved,
         count(*) FILTER (WHERE s.state = 'breached' AND (s.breached_at <> s.due_at OR s.due_at > now()))::int AS early_breach,
         count(*) FILTER (WHERE s.state = 'active' AND s.due_at <= now())::int AS overdue_active,
         count(*) FILTER (WHERE s.state = 'paused' AND t.status NOT IN ('pending', 'on_hold'))::int AS paused_while_working,
         count(*) FILTER (WHERE s.target = 'resolution' AND t.solved_at IS NOT NULL AND s.state NOT IN ('achieved', 'breached'))::int AS solved_running
       FROM sla_timers s JOIN tickets t ON t.id = s.ticket_id`,
    );
    expect(bad).toEqual({ late_achieved: 0, early_breach: 0, overdue_active: 0, paused_while_working: 0, solved_running: 0 });

    const [surveys] = await q(
      `SELECT count(*)::int AS sent, count(score)::int AS answered, count(*) FILTER (WHERE low_score)::int AS low,
              count(*) FILTER (WHERE s.sent_at <= t.solved_at OR s.answered_at > now())::int AS out_of_order
       FROM surveys s JOIN tickets t ON t.id = s.ticket_id`,
    );
    expect(surveys.sent).toBeGreaterThan(600);
    expect(surveys.answered / surveys.sent).toBeGreaterThan(0.5);
    expect(surveys.answered / surveys.sent).toBeLessThan(0.7);
    expect(surveys.low).toBeGreaterThan(0);
    expect(surveys.out_of_order).toBe(0);

    const again = await seed();
    expect(again.stdout).toContain('nothing changed');
    const [after] = await q(`SELECT (SELECT count(*)::int FROM tickets) AS tickets, (SELECT count(*)::int FROM sla_timers) AS timers, (SELECT count(*)::int FROM surveys) AS surveys`);
    expect(after).toEqual({ tickets: 1000, timers: 2000, surveys: surveys.sent });
  });
});
