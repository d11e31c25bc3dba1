import { SurveyType } from './survey-types';

/**
 * SPEC's survey metrics, from score histograms; pure so the formulas are unit-tested on their own.
 * - CSAT % = answers scoring 4–5 / all CSAT answers × 100
 * - NPS = % promoters (9–10) − % detractors (0–6) of NPS answers, in [−100, 100]
 * - CES = mean CES score (1–7)
 * - response rate = answers / surveys sent
 * A metric with no answers is null (not 0: "no data" must not read as "all bad").
 */
export interface Histogram {
  type: SurveyType;
  /** Surveys sent (answered or not). */
  sent: number;
  /** score → number of answers with that score. */
  scores: Map<number, number>;
}

export interface SurveyMetrics {
  sent: number;
  answered: number;
  responseRate: number | null;
  csat: { answers: number; percent: number | null };
  nps: { answers: number; score: number | null; promoters: number; passives: number; detractors: number };
  ces: { answers: number; mean: number | null };
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function csatPercent(scores: Map<number, number>): number | null {
  let all = 0;
  let satisfied = 0;
  for (const [s, n] of scores) {
    all += n;
    if (s >= 4) satisfied += n;
  }
  return all ? (satisfied / all) * 100 : null;
}

export function npsScore(scores: Map<number, number>): { score: number | null; promoters: number; passives: number; detractors: number } {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const [s, n] of scores) {
    if (s >= 9) promoters += n;
    else if (s >= 7) passives += n;
    else detractors += n;
  }
  const all = promoters + passives + detractors;
  return { score: all ? ((promoters - detractors) / all) * 100 : null, promoters, passives, detractors };
}

export function cesMean(scores: Map<number, number>): number | null {
  let all = 0;
  let sum = 0;
  for (const [s, n] of scores) {
    all += n;
    sum += s * n;
  }
  return all ? sum / all : null;
}

const count = (scores: Map<number, number>) => [...scores.values()].reduce((a, b) => a + b, 0);

/** Folds the histograms of one group (any mix of types) into its metrics. */
export function computeMetrics(histograms: Histogram[]): SurveyMetrics {
  const merged: Record<SurveyType, Map<number, number>> = { csat: new Map(), nps: new Map(), ces: new Map() };
  let sent = 0;
  for (const h of histograms) {
    sent += h.sent;
    for (const [s, n] of h.scores) merged[h.type].set(s, (merged[h.type].get(s) ?? 0) + n);
  }
  const answered = count(merged.csat) + count(merged.nps) + count(merged.ces);
  const csat = csatPercent(merged.csat);
  const nps = npsScore(merged.nps);
  const ces = cesMean(merged.ces);
  return {
    sent,
    answered,
    responseRate: sent ? round(answered / sent, 4) : null,
    csat: { answers: count(merged.csat), percent: csat === null ? null : round(csat) },
    nps: { answers: count(merged.nps), ...nps, score: nps.score === null ? null : round(nps.score) },
    ces: { answers: count(merged.ces), mean: ces === null ? null : round(ces) },
  };
}
