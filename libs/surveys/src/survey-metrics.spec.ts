import { cesMean, computeMetrics, csatPercent, npsScore } from './survey-metrics';
import { isLowScore, isValidScore } from './survey-types';

const h = (pairs: [number, number][]) => new Map(pairs);

describe('survey metrics (SPEC definitions)', () => {
  it('CSAT % counts 4 and 5 as satisfied over all answers', () => {
    expect(csatPercent(h([[5, 3], [4, 1], [3, 2], [1, 2]]))).toBe(50);
    expect(csatPercent(h([]))).toBeNull();
  });

  it('NPS is % promoters (9–10) minus % detractors (0–6); 7–8 are passives', () => {
    // 5 promoters, 3 passives, 2 detractors of 10 → 50 − 20 = 30
    const r = npsScore(h([[10, 2], [9, 3], [8, 2], [7, 1], [6, 1], [0, 1]]));
    expect(r).toEqual({ score: 30, promoters: 5, passives: 3, detractors: 2 });
    expect(npsScore(h([[0, 4]])).score).toBe(-100);
    expect(npsScore(h([])).score).toBeNull();
  });

  it('CES is the mean score', () => {
    expect(cesMean(h([[1, 1], [2, 1], [6, 2]]))).toBe(3.75);
    expect(cesMean(h([]))).toBeNull();
  });

  it('response rate is answers over surveys sent, across types', () => {
    const m = computeMetrics([
      { type: 'csat', sent: 6, scores: h([[5, 2], [1, 1]]) },
      { type: 'nps', sent: 4, scores: h([[9, 1]]) },
    ]);
    expect(m.sent).toBe(10);
    expect(m.answered).toBe(4);
    expect(m.responseRate).toBe(0.4);
    expect(m.csat).toEqual({ answers: 3, percent: 66.67 });
    expect(m.nps.score).toBe(100);
    expect(m.ces).toEqual({ answers: 0, mean: null });
  });

  it('no surveys: every metric is null, not zero', () => {
    const m = computeMetrics([]);
    expect(m.responseRate).toBeNull();
    expect(m.csat.percent).toBeNull();
  });

  it('low scores follow SPEC: CSAT ≤ 2, NPS ≤ 6, CES ≥ 5', () => {
    expect([1, 2, 3].map((s) => isLowScore('csat', s))).toEqual([true, true, false]);
    expect([6, 7].map((s) => isLowScore('nps', s))).toEqual([true, false]);
    expect([4, 5, 7].map((s) => isLowScore('ces', s))).toEqual([false, true, true]);
    expect(isLowScore('csat', 3, 3)).toBe(true);
  });

  it('validates scores against each scale', () => {
    expect(isValidScore('csat', 0)).toBe(false);
    expect(isValidScore('nps', 0)).toBe(true);
    expect(isValidScore('ces', 7)).toBe(true);
    expect(isValidScore('ces', 8)).toBe(false);
    expect(isValidScore('csat', 4.5)).toBe(false);
  });
});
