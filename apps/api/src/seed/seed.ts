import { AppConfig } from '@keepdesk/core';
import { hashPassword } from '@keepdesk/identity';
import { TicketRetentionRepository } from '@keepdesk/retention';
import { achieveTimer, BusinessCalendar, breachTimer, pauseTimer, SlaTarget, SlaTimer, startTimer } from '@keepdesk/sla';
import { DataSource, EntityManager } from 'typeorm';

export const DEMO_ADMIN = { email: 'admin@keepdesk.localhost', password: 'keepdesk-demo' };

/** Deterministic PRNG (mulberry32): the demo looks the same on every machine. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ava', 'Liam', 'Mia', 'Noah', 'Zoe', 'Ethan', 'Lena', 'Omar', 'Yuki', 'Wei', 'Sofia', 'Lucas', 'Amara', 'Kai', 'Nora', 'Ivan', 'Priya', 'Mateo', 'Elif', 'Jonas'];
const LAST = ['Smith', 'Chen', 'Garcia', 'Müller', 'Kowalski', 'Tanaka', 'Okafor', 'Rossi', 'Dubois', 'Silva', 'Novak', 'Haddad', 'Larsen', 'Kim', 'Wang'];
const TOPICS: [string, string][] = [
  ['Where is my order?', 'I ordered last week and tracking has not moved for four days.'],
  ['Refund for damaged item', 'The mug arrived cracked. Can I get a refund or a replacement?'],
  ['Wrong size delivered', 'I ordered an M but received an XL. How do I exchange it?'],
  ['Cannot log in', 'The password reset email never arrives.'],
  ['Discount code not working', 'The code WELCOME10 says it is expired but the email says it is valid until Friday.'],
  ['Change delivery address', 'I moved; can you update the address on my open order?'],
  ['Invoice needed', 'Please send a VAT invoice for my last order.'],
  ['Subscription cancellation', 'I would like to cancel my monthly box.'],
  ['Item out of stock', 'When will the blue jacket be back in stock?'],
  ['Charged twice', 'My card shows two charges for the same order.'],
];
const REPLIES = ['Thanks for reaching out — I am looking into this now.', 'I have sent a replacement; you will get tracking within 24 hours.', 'Refund issued; it shows on your statement in 3–5 days.', 'Could you send a photo of the label?'];
const CUSTOMER_REPLIES = ['Thank you!', 'Still waiting, any news?', 'Here is the photo.', 'That worked, thanks.'];

/**
 * Demo data that looks real: 3 teams, 8 agents, 200 customers, 1,000 tickets with conversations
 * across statuses and channels over the last ~4 months, and orders around them. Idempotent:
 * a second run changes nothing.
 */
export async function seed(ds: DataSource, config: AppConfig): Promise<string> {
  const seeded = await ds.query(`SELECT 1 FROM users WHERE email = $1 OR email = 'maya.support@keepdesk.localhost'`, [DEMO_ADMIN.email]);
  if (seeded.length) return 'seed: demo data is already there (nothing changed)';
  const rnd = prng(20261202);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const hash = await hashPassword(DEMO_ADMIN.password);

  await ds.transaction(async (tx) => {
    const teams: { id: string; name: string }[] = await tx.query(
      `INSERT INTO teams (name) VALUES ('Support'), ('Billing'), ('Retention') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, name`,
    );
    const teamId = (n: string) => teams.find((t) => t.name === n)!.id;
    const people: [string, string, string, string[]][] = [
      ['maya.support', 'Maya Patel', 'agent', ['Support']],
      ['tom.support', 'Tom Becker', 'agent', ['Support']],
      ['lin.support', 'Lin Zhang', 'agent', ['Support', 'Retention']],
      ['sara.billing', 'Sara Costa', 'agent', ['Billing']],
      ['omar.billing', 'Omar Said', 'agent', ['Billing']],
      ['jo.retention', 'Jo Nakamura', 'agent', ['Retention']],
      ['alex.lead', 'Alex Rivera', 'supervisor', ['Support', 'Billing', 'Retention']],
      ['admin', 'Demo Admin', 'admin', []],
    ];
    const users: { id: string; teams: string[]; role: string }[] = [];
    for (const [local, name, role, ts] of people) {
      const email = local === 'admin' && config.env !== 'production' ? DEMO_ADMIN.email : `${local}@keepdesk.localhost`;
      const [u] = await tx.query(
        `INSERT INTO users (email, name, password_hash, role, capacity, available) VALUES ($1, $2, $3, $4, 25, $5)
         ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
        [email, name, hash, role, role !== 'admin'],
      );
      for (const t of ts) await tx.query(`INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [teamId(t), u.id]);
      users.push({ id: u.id, teams: ts.map(teamId), role });
    }

    const customers: { id: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const first = pick(FIRST);
      const last = pick(LAST);
      const [c] = await tx.query(
        `INSERT INTO customers (external_id, email, name, locale) VALUES ($1, $2, $3, $4) ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
        [`shop-${1000 + i}`, `${first}.${last}.${i}@example.com`.toLowerCase().replace('ü', 'ue'), `${first} ${last}`, rnd() < 0.2 ? 'zh-CN' : 'en'],
      );
      customers.push(c);
    }

    const now = Date.now();
    const DAY = 86400000;
    const statuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
    const weights = [0.06, 0.1, 0.06, 0.03, 0.25, 0.5];
    const channels = ['email', 'web', 'chat', 'phone', 'api'];
    const priorities = ['low', 'normal', 'normal', 'normal', 'high', 'urgent'];
    for (let i = 0; i < 1000; i++) {
      const age = Math.pow(rnd(), 1.3) * 120 * DAY;
      const created = new Date(now - age);
      let r = rnd();
      let status: (typeof statuses)[number] = 'closed';
      for (let k = 0; k < statuses.length; k++) {
        if ((r -= weights[k]) < 0) {
          status = statuses[k];
          break;
        }
      }
      if (age < 2 * DAY && status === 'closed') status = 'solved';
      const [topic, body] = pick(TOPICS);
      const team = pick(teams);
      const members = users.filter((u) => u.teams.includes(team.id) && u.role !== 'admin');
      const assignee = status === 'new' && rnd() < 0.5 ? null : pick(members);
      const responded = status !== 'new';
      // Everything happened in the past: a ticket opened an hour ago was answered within that hour.
      const firstResponse = responded ? new Date(created.getTime() + Math.min((0.1 + rnd() * 20) * 3600000, age * 0.5)) : null;
      const solvedAt = status === 'solved' || status === 'closed' ? new Date(Math.min(now - 60000, (firstResponse ?? created).getTime() + rnd() * 3 * DAY)) : null;
      const closedAt = status === 'closed' && solvedAt ? new Date(Math.min(now - 30000, solvedAt.getTime() + 4 * DAY)) : null;
      const customer = pick(customers);
      const [t] = await tx.query(
        `INSERT INTO tickets (subject, status, priority, channel, tags, customer_id, team_id, assignee_id, search, created_at, updated_at,
           first_response_at, solved_at, closed_at, status_changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_tsvector('simple', $1 || ' ' || $9), $10::timestamptz, $10::timestamptz, $11::timestamptz, $12::timestamptz, $13::timestamptz, COALESCE($13::timestamptz, $12::timestamptz, $10::timestamptz)) RETURNING id`,
        [topic, status, pick(priorities), pick(channels), rnd() < 0.3 ? [pick(['vip', 'refund', 'shipping', 'bug'])] : [], customer.id, team.id, assignee?.id ?? null, body, created, firstResponse, solvedAt, closedAt],
      );
      const msgs: [string, string | null, string, Date][] = [['customer', null, body, created]];
      if (firstResponse && assignee) msgs.push(['reply', assignee.id, pick(REPLIES), firstResponse]);
      if (firstResponse && rnd() < 0.5) msgs.push(['customer', null, pick(CUSTOMER_REPLIES), new Date(firstResponse.getTime() + Math.min(3600000, (now - firstResponse.getTime()) / 2))]);
      if (assignee && rnd() < 0.3) msgs.push(['note', assignee.id, 'Checked with the warehouse.', new Date(created.getTime() + Math.min(1800000, age / 4))]);
      for (const [kind, author, text, at] of msgs) {
        await tx.query(`INSERT INTO messages (ticket_id, kind, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)`, [t.id, kind, author, text, at]);
      }
      await tx.query(
        `INSERT INTO ticket_events (ticket_id, type, actor_type, data, team_id, assignee_id, created_at) VALUES ($1, 'ticket.created', 'customer', '{}', $2, $3, $4)`,
        [t.id, team.id, assignee?.id ?? null, created],
      );
    }
  });
  await ds.transaction((tx) => seedSlaAndSurveys(tx, rnd));
  await seedOrders(ds, rnd);
  // The seed writes rows directly, so derived retention rows are built here rather than by hooks.
  await new TicketRetentionRepository().backfill(ds.manager);
  return `seed: 3 teams, 8 agents, 200 customers, 1000 tickets with SLA timers and CSAT answers; log in as ${config.env === 'production' ? 'ADMIN_EMAIL' : `${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}`}`;
}

/** A few months of orders around the tickets, so the retention reports have something to show. */
async function seedOrders(ds: DataSource, rnd: () => number): Promise<void> {
  const customers: { id: string; external_id: string }[] = await ds.query(`SELECT id, external_id FROM customers WHERE external_id LIKE 'shop-%' ORDER BY external_id`);
  const now = Date.now();
  const ext: string[] = [];
  const cust: string[] = [];
  const at: string[] = [];
  const total: string[] = [];
  for (const c of customers) {
    const n = Math.floor(rnd() * 6);
    for (let k = 0; k < n; k++) {
      ext.push(`demo-${c.external_id}-${k}`);
      cust.push(c.id);
      at.push(new Date(now - rnd() * 150 * 86400000).toISOString());
      total.push((10 + rnd() * 190).toFixed(2));
    }
  }
  await ds.query(
    `INSERT INTO orders (external_id, customer_id, placed_at, total, currency, source)
     SELECT e, c, p, t, 'USD', 'seed' FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::numeric[]) AS x(e, c, p, t)
     ON CONFLICT DO NOTHING`,
    [ext, cust, at, total],
  );
}

const WEEKDAYS_BERLIN: BusinessCalendar = {
  timezone: 'Europe/Berlin',
  weekly: ([1, 2, 3, 4, 5] as const).map((day) => ({ day, open: '08:00', close: '18:00' })),
  holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01'],
};

/**
 * Two SLA policies and the timers the engine would have kept for the seeded tickets (met, breached,
 * running, paused), and CSAT surveys sent after each solve, about 60% answered: the SLA dashboard,
 * the survey summary and the retention reports by CSAT / SLA have something to show.
 */
async function seedSlaAndSurveys(tx: EntityManager, rnd: () => number): Promise<void> {
  const [hours] = await tx.query(`INSERT INTO business_hours (name, timezone, weekly, holidays) VALUES ('Weekdays (Berlin)', $1, $2::jsonb, $3::jsonb) RETURNING id`, [
    WEEKDAYS_BERLIN.timezone,
    JSON.stringify(WEEKDAYS_BERLIN.weekly),
    JSON.stringify(WEEKDAYS_BERLIN.holidays),
  ]);
  const policies = [
    { name: 'Urgent and high, around the clock', position: 0, match: { priorities: ['urgent', 'high'] }, fr: 60, res: 8 * 60, hoursId: null, cal: null },
    { name: 'Standard, business hours', position: 1, match: {}, fr: 8 * 60, res: 3 * 10 * 60, hoursId: hours.id as string, cal: WEEKDAYS_BERLIN },
  ];
  const ids: string[] = [];
  for (const p of policies) {
    const [row] = await tx.query(
      `INSERT INTO sla_policies (name, position, match, first_response_minutes, resolution_minutes, warn_at_percent, business_hours_id)
       VALUES ($1, $2, $3::jsonb, $4, $5, 80, $6) RETURNING id`,
      [p.name, p.position, JSON.stringify(p.match), p.fr, p.res, p.hoursId],
    );
    ids.push(row.id);
  }
  const tickets: { id: string; priority: string; status: string; created_at: Date; first_response_at: Date | null; solved_at: Date | null; status_changed_at: Date; customer_id: string; team_id: string; assignee_id: string | null }[] =
    await tx.query(`SELECT id, priority, status, created_at, first_response_at, solved_at, status_changed_at, customer_id, team_id, assignee_id FROM tickets ORDER BY number`);
  const now = new Date();
  const timers: (SlaTimer & { ticketId: string; policyId: string; businessHoursId: string | null })[] = [];
  for (const t of tickets) {
    const k = t.priority === 'urgent' || t.priority === 'high' ? 0 : 1;
    const p = policies[k];
    const run = (target: SlaTarget, minutes: number, doneAt: Date | null) => {
      let timer = startTimer(p.cal, target, minutes, 80, t.created_at);
      if (doneAt) timer = achieveTimer(timer, doneAt);
      else if (t.status === 'pending' || t.status === 'on_hold') timer = pauseTimer(p.cal, timer, t.first_response_at ?? t.created_at);
      timer = breachTimer(timer, now);
      timers.push({ ...timer, ticketId: t.id, policyId: ids[k], businessHoursId: p.hoursId });
    };
    run('first_response', p.fr, t.first_response_at);
    run('resolution', p.res, t.solved_at);
  }
  await tx.query(
    `INSERT INTO sla_timers (ticket_id, policy_id, business_hours_id, target, state, target_minutes, warn_at_percent, started_at,
       due_at, warn_at, paused_at, remaining_minutes, warned_at, breached_at, achieved_at, version)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, policy_id uuid, business_hours_id uuid, target text, state text,
       target_minutes double precision, warn_at_percent double precision, started_at timestamptz, due_at timestamptz, warn_at timestamptz,
       paused_at timestamptz, remaining_minutes double precision, warned_at timestamptz, breached_at timestamptz, achieved_at timestamptz, version int)`,
    [
      JSON.stringify(
        timers.map((x) => ({
          ticket_id: x.ticketId, policy_id: x.policyId, business_hours_id: x.businessHoursId, target: x.target, state: x.state,
          target_minutes: x.targetMinutes, warn_at_percent: x.warnAtPercent, started_at: x.startedAt, due_at: x.dueAt, warn_at: x.warnAt,
          paused_at: x.pausedAt, remaining_minutes: x.remainingMinutes, warned_at: x.warnAt && x.warnAt < now ? x.warnAt : null,
          breached_at: x.breachedAt, achieved_at: x.achievedAt, version: x.version,
        })),
      ),
    ],
  );

  // CSAT an hour after the solve; quick, in-SLA service scores better, as in real data.
  const breached = new Set(timers.filter((x) => x.state === 'breached').map((x) => x.ticketId));
  const surveys = tickets
    .filter((t) => t.solved_at && t.solved_at.getTime() < now.getTime() - 2 * 3600000)
    .map((t) => {
      const sentAt = new Date(t.solved_at!.getTime() + 3600000);
      const answered = rnd() < 0.6;
      const r = rnd() + (breached.has(t.id) ? -0.35 : 0.1);
      const score = r < 0.1 ? 1 : r < 0.2 ? 2 : r < 0.35 ? 3 : r < 0.65 ? 4 : 5;
      return {
        ticket_id: t.id, customer_id: t.customer_id, team_id: t.team_id, agent_id: t.assignee_id, scheduled_at: sentAt, sent_at: sentAt,
        expires_at: new Date(sentAt.getTime() + 14 * 86400000), message_id: `<seed-survey-${t.id}@keepdesk.localhost>`,
        score: answered ? score : null, answered_at: answered ? new Date(Math.min(now.getTime() - 60000, sentAt.getTime() + rnd() * 2 * 86400000)) : null, low_score: answered && score <= 2,
      };
    });
  await tx.query(
    `INSERT INTO surveys (ticket_id, customer_id, team_id, type, channel, state, scheduled_at, sent_at, accepted_at, message_id, agent_id,
       expires_at, score, answered_at, low_score)
     SELECT ticket_id, customer_id, team_id, 'csat', 'email', 'sent', scheduled_at, sent_at, sent_at, message_id, agent_id,
            expires_at, score, answered_at, low_score
     FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, customer_id uuid, team_id uuid, agent_id uuid, scheduled_at timestamptz,
       sent_at timestamptz, expires_at timestamptz, message_id text, score int, answered_at timestamptz, low_score boolean)`,
    [JSON.stringify(surveys)],
  );
}
