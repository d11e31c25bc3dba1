/**
 * The churn-risk score: one definition, used by GET /api/customers/:id/health and by the churn
 * run. The base is the BG/NBD probability the customer is no longer active (1 − P(alive)); service
 * signals then raise it, each as an independent "extra chance of leaving" capped so no single
 * signal dominates:  score = 1 − (1 − base) · Π (1 − wᵢ).
 * The weights are deliberately simple, documented defaults (libs/retention/README.md), not fitted:
 * uplift measurement (holdout) is how a team learns whether acting on them pays.
 */
export interface RiskInput {
  /** From the BG/NBD model; null when no model has been fitted or the customer has no orders. */
  pAlive: number | null;
  /** Whole days since the last order; null = never ordered. */
  daysSinceLastOrder: number | null;
  /** The customer's own mean gap between orders in days; null with fewer than two order days. */
  typicalGapDays: number | null;
  openTickets: number;
  breachedSlas: number;
  lowScores: number;
  reopens: number;
}

export interface RiskSignal {
  signal: 'openTickets' | 'breachedSlas' | 'lowScores' | 'reopens' | 'overdue';
  value: number;
  weight: number;
}

export interface RiskScore {
  score: number;
  base: number;
  signals: RiskSignal[];
}

export const RISK_WEIGHTS = {
  openTickets: { per: 0.05, max: 0.15 },
  breachedSlas: { per: 0.07, max: 0.2 },
  lowScores: { per: 0.15, max: 0.3 },
  reopens: { per: 0.05, max: 0.15 },
  /** Applies when days since the last order exceed 1.5× the customer's own rhythm. */
  overdue: { per: 0.1, max: 0.25, after: 1.5 },
} as const;

/** Without a model: overdue ratio alone (0 at the usual gap, 1 at 4× it); 0.5 = no information. */
function baseWithoutModel(i: RiskInput): number {
  if (i.daysSinceLastOrder === null || i.typicalGapDays === null || i.typicalGapDays <= 0) return 0.5;
  return Math.min(1, Math.max(0, (i.daysSinceLastOrder / i.typicalGapDays - 1) / 3));
}

export function churnRisk(i: RiskInput): RiskScore {
  const base = i.pAlive !== null ? 1 - i.pAlive : baseWithoutModel(i);
  const signals: RiskSignal[] = [];
  const add = (signal: RiskSignal['signal'], value: number, per: number, max: number) => {
    if (value > 0) signals.push({ signal, value, weight: Math.min(max, per * value) });
  };
  add('openTickets', i.openTickets, RISK_WEIGHTS.openTickets.per, RISK_WEIGHTS.openTickets.max);
  add('breachedSlas', i.breachedSlas, RISK_WEIGHTS.breachedSlas.per, RISK_WEIGHTS.breachedSlas.max);
  add('lowScores', i.lowScores, RISK_WEIGHTS.lowScores.per, RISK_WEIGHTS.lowScores.max);
  add('reopens', i.reopens, RISK_WEIGHTS.reopens.per, RISK_WEIGHTS.reopens.max);
  if (i.daysSinceLastOrder !== null && i.typicalGapDays !== null && i.typicalGapDays > 0) {
    const ratio = i.daysSinceLastOrder / i.typicalGapDays;
    if (ratio > RISK_WEIGHTS.overdue.after) {
      signals.push({
        signal: 'overdue',
        value: Math.round(ratio * 100) / 100,
        weight: Math.min(RISK_WEIGHTS.overdue.max, RISK_WEIGHTS.overdue.per * (ratio - 1)),
      });
    }
  }
  const keep = signals.reduce((k, s) => k * (1 - s.weight), 1 - base);
  return { score: Math.min(1, Math.max(0, 1 - keep)), base, signals };
}
