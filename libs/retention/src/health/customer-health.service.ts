import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { notFound, one } from '@keepdesk/core';
import { DataSource, EntityManager } from 'typeorm';
import { expectedPurchases, pAlive as bgPAlive, BgNbdParams } from '../models/bg-nbd';
import { expectedAverageValue, GammaGammaParams } from '../models/gamma-gamma';
import { bgNbdInputs, ModelRepository, ModelRow, PurchaseSummary, utcDay, WEEK_DAYS } from '../model/model.repository';
import { ServiceSignalsRepository } from '../reports/service-signals.repository';
import { churnRisk, RiskScore } from './churn-risk';

export const HEALTH_HORIZON_DAYS = 90;
export const CLV_HORIZON_WEEKS = 52;

const r4 = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10000) / 10000);
const r2 = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 100) / 100);

export interface HealthFigures {
  pAlive: number | null;
  expectedPurchases90d: number | null;
  expectedOrderValue: number | null;
  clv: number | null;
  daysSinceLastOrder: number | null;
  typicalGapDays: number | null;
}

/** Model figures for one customer at `now`: the single place health numbers are computed. */
export function healthFigures(model: ModelRow | undefined, s: PurchaseSummary | null, now: Date): HealthFigures {
  if (!s) return { pAlive: null, expectedPurchases90d: null, expectedOrderValue: null, clv: null, daysSinceLastOrder: null, typicalGapDays: null };
  const today = utcDay(now);
  const { x, tx, T, meanSpend } = bgNbdInputs(s, today);
  const daysSinceLastOrder = Math.max(0, today - s.lastDay);
  const typicalGapDays = x > 0 ? (s.lastDay - s.firstDay) / x : null;
  if (!model || model.r === null || model.alpha === null || model.a === null || model.b === null) {
    return { pAlive: null, expectedPurchases90d: null, expectedOrderValue: null, clv: null, daysSinceLastOrder, typicalGapDays };
  }
  const bg: BgNbdParams = { r: model.r, alpha: model.alpha, a: model.a, b: model.b };
  const alive = bgPAlive(bg, x, tx, T);
  const e90 = expectedPurchases(bg, HEALTH_HORIZON_DAYS / WEEK_DAYS, x, tx, T);
  let eov: number | null = null;
  let clv: number | null = null;
  if (model.p !== null && model.q !== null && model.gamma !== null) {
    const gg: GammaGammaParams = { p: model.p, q: model.q, gamma: model.gamma };
    eov = expectedAverageValue(gg, x, meanSpend);
    clv = expectedPurchases(bg, CLV_HORIZON_WEEKS, x, tx, T) * eov;
  }
  return { pAlive: alive, expectedPurchases90d: e90, expectedOrderValue: eov, clv, daysSinceLastOrder, typicalGapDays };
}

@Injectable()
export class CustomerHealthService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly models: ModelRepository,
    private readonly signals: ServiceSignalsRepository,
  ) {}

  async health(customerId: string, now = new Date()) {
    const m = this.ds.manager;
    const customer = await one<{ id: string; external_id: string | null }>(m, `SELECT id, external_id FROM customers WHERE id = $1`, [customerId]);
    if (!customer) throw notFound('customer', customerId);
    const [model, summary, signals] = await Promise.all([
      this.models.latestFitted(m),
      this.models.summaryOf(m, customerId, now),
      this.signals.forCustomer(m, customerId),
    ]);
    const f = healthFigures(model, summary, now);
    const risk = churnRisk({ pAlive: f.pAlive, daysSinceLastOrder: f.daysSinceLastOrder, typicalGapDays: f.typicalGapDays, ...signals });
    return {
      customerId,
      customerExternalId: customer.external_id,
      model: model ? { id: model.id, fittedAt: model.fitted_at ? new Date(model.fitted_at).toISOString() : null, until: new Date(model.until).toISOString() } : null,
      orders: summary?.orders ?? 0,
      orderDays: summary?.days ?? 0,
      firstOrderAt: summary ? new Date(summary.firstDay * 86400000).toISOString().slice(0, 10) : null,
      lastOrderAt: summary ? new Date(summary.lastDay * 86400000).toISOString().slice(0, 10) : null,
      totalSpend: r2(summary?.totalSpend ?? 0),
      pAlive: r4(f.pAlive),
      expectedPurchases90d: r4(f.expectedPurchases90d),
      expectedOrderValue: r2(f.expectedOrderValue),
      clv: r2(f.clv),
      clvHorizonWeeks: CLV_HORIZON_WEEKS,
      daysSinceLastOrder: f.daysSinceLastOrder,
      typicalGapDays: r2(f.typicalGapDays),
      churnRisk: { score: r4(risk.score), base: r4(risk.base), signals: risk.signals },
      serviceSignals: signals,
    };
  }

  /**
   * Scores many customers at once (the churn run): one summary query per batch, service signals
   * per customer. Returns customer id → risk.
   */
  async scoreMany(m: EntityManager, model: ModelRow | undefined, customerIds: string[], now: Date): Promise<Map<string, RiskScore>> {
    const summaries = new Map((await this.models.summariesOf(m, customerIds, now)).map((s) => [s.customerId, s]));
    const out = new Map<string, RiskScore>();
    for (const id of customerIds) {
      const f = healthFigures(model, summaries.get(id) ?? null, now);
      const signals = await this.signals.forCustomer(m, id);
      out.set(id, churnRisk({ pAlive: f.pAlive, daysSinceLastOrder: f.daysSinceLastOrder, typicalGapDays: f.typicalGapDays, ...signals }));
    }
    return out;
  }
}
