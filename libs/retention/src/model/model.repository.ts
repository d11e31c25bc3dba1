import { Injectable } from '@nestjs/common';
import { one, rows } from '@keepdesk/core';
import { EntityManager } from 'typeorm';

const DAY_MS = 86_400_000;
export const WEEK_DAYS = 7;

/** Order history of one customer as the models see it: UTC days, same-day orders merged. */
export interface PurchaseSummary {
  customerId: string;
  /** Distinct order days. */
  days: number;
  firstDay: number;
  lastDay: number;
  /** Sum of all but the first order day's totals (Gamma–Gamma uses repeat transactions, as the papers do). */
  repeatSpend: number;
  totalSpend: number;
  orders: number;
}

/** BG/NBD inputs in weeks, measured to `untilDay` (a UTC day number). */
export function bgNbdInputs(s: PurchaseSummary, untilDay: number) {
  const x = s.days - 1;
  return {
    x,
    tx: (s.lastDay - s.firstDay) / WEEK_DAYS,
    T: Math.max(untilDay - s.firstDay, s.lastDay - s.firstDay) / WEEK_DAYS,
    meanSpend: x > 0 ? s.repeatSpend / x : 0,
  };
}

export function utcDay(d: Date): number {
  return Math.floor(d.getTime() / DAY_MS);
}

const SUMMARY = (where: string) => `
  WITH d AS (
    SELECT customer_id, floor(extract(epoch FROM placed_at) / 86400)::int AS day, sum(total) AS amount, count(*) AS n
    FROM orders WHERE ${where}
    GROUP BY 1, 2
  ), r AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS rn FROM d
  )
  SELECT customer_id, count(*)::int AS days, min(day) AS first_day, max(day) AS last_day,
         coalesce(sum(amount) FILTER (WHERE rn > 1), 0)::float8 AS repeat_spend, sum(amount)::float8 AS total_spend, sum(n)::int AS orders
  FROM r GROUP BY customer_id`;

type SummaryRow = { customer_id: string; days: number; first_day: number; last_day: number; repeat_spend: number; total_spend: number; orders: number };
const toSummary = (r: SummaryRow): PurchaseSummary => ({
  customerId: r.customer_id,
  days: Number(r.days),
  firstDay: Number(r.first_day),
  lastDay: Number(r.last_day),
  repeatSpend: Number(r.repeat_spend),
  totalSpend: Number(r.total_spend),
  orders: Number(r.orders),
});

@Injectable()
export class ModelRepository {
  async summaries(m: EntityManager, until: Date): Promise<PurchaseSummary[]> {
    return (await rows<SummaryRow>(m, SUMMARY(`placed_at <= $1`), [until.toISOString()])).map(toSummary);
  }

  async summaryOf(m: EntityManager, customerId: string, until: Date): Promise<PurchaseSummary | null> {
    const r = await one<SummaryRow>(m, SUMMARY(`customer_id = $1 AND placed_at <= $2`), [customerId, until.toISOString()]);
    return r ? toSummary(r) : null;
  }

  async summariesOf(m: EntityManager, customerIds: string[], until: Date): Promise<PurchaseSummary[]> {
    return (await rows<SummaryRow>(m, SUMMARY(`customer_id = ANY($1::uuid[]) AND placed_at <= $2`), [customerIds, until.toISOString()])).map(toSummary);
  }

  async create(m: EntityManager, until: Date): Promise<{ id: string }> {
    return (await one<{ id: string }>(m, `INSERT INTO retention_models (status, until) VALUES ('queued', $1) RETURNING id`, [until.toISOString()]))!;
  }

  async find(m: EntityManager, id: string) {
    return one<ModelRow>(m, `SELECT * FROM retention_models WHERE id = $1`, [id]);
  }

  async latest(m: EntityManager) {
    return one<ModelRow>(m, `SELECT * FROM retention_models ORDER BY requested_at DESC LIMIT 1`);
  }

  async latestFitted(m: EntityManager) {
    return one<ModelRow>(m, `SELECT * FROM retention_models WHERE status = 'succeeded' ORDER BY fitted_at DESC LIMIT 1`);
  }

  /** Claims a queued (or retried running) fit; false when it already finished. */
  async start(m: EntityManager, id: string): Promise<boolean> {
    const r = await rows(m, `UPDATE retention_models SET status = 'running' WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`, [id]);
    return r.length > 0;
  }

  async finish(m: EntityManager, id: string, v: Partial<Record<'r' | 'alpha' | 'a' | 'b' | 'p' | 'q' | 'gamma' | 'logLikelihood', number | null>> & { customers: number; orders: number }) {
    await m.query(
      `UPDATE retention_models SET status = 'succeeded', r = $2, alpha = $3, a = $4, b = $5, p = $6, q = $7, gamma = $8,
         log_likelihood = $9, customers = $10, orders = $11, fitted_at = now(), error = NULL WHERE id = $1`,
      [id, v.r, v.alpha, v.a, v.b, v.p ?? null, v.q ?? null, v.gamma ?? null, v.logLikelihood, v.customers, v.orders],
    );
  }

  async fail(m: EntityManager, id: string, error: string, customers: number | null, orders: number | null) {
    await m.query(`UPDATE retention_models SET status = 'failed', error = $2, customers = $3, orders = $4, fitted_at = now() WHERE id = $1`, [
      id,
      error.slice(0, 500),
      customers,
      orders,
    ]);
  }
}

export interface ModelRow {
  id: string;
  status: string;
  until: Date;
  r: number | null;
  alpha: number | null;
  a: number | null;
  b: number | null;
  p: number | null;
  q: number | null;
  gamma: number | null;
  log_likelihood: number | null;
  customers: number | null;
  orders: number | null;
  error: string | null;
  requested_at: Date;
  fitted_at: Date | null;
}

export function modelView(r: ModelRow | undefined) {
  if (!r) return { status: 'none', r: null, alpha: null, a: null, b: null, p: null, q: null, gamma: null, customers: 0, orders: 0, until: null, fittedAt: null };
  return {
    id: r.id,
    status: r.status,
    r: r.r,
    alpha: r.alpha,
    a: r.a,
    b: r.b,
    p: r.p,
    q: r.q,
    gamma: r.gamma,
    logLikelihood: r.log_likelihood,
    customers: r.customers ?? 0,
    orders: r.orders ?? 0,
    until: new Date(r.until).toISOString(),
    requestedAt: new Date(r.requested_at).toISOString(),
    fittedAt: r.fitted_at ? new Date(r.fitted_at).toISOString() : null,
    error: r.error,
  };
}
