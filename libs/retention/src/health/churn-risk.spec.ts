import { churnRisk } from './churn-risk';

const quiet = { openTickets: 0, breachedSlas: 0, lowScores: 0, reopens: 0 };

describe('churnRisk', () => {
  it('is 1 − P(alive) when there are no service signals', () => {
    const r = churnRisk({ ...quiet, pAlive: 0.8, daysSinceLastOrder: 10, typicalGapDays: 30 });
    expect(r.score).toBeCloseTo(0.2, 12);
    expect(r.signals).toEqual([]);
  });

  it('combines signals as independent extra chances of leaving, each capped', () => {
    // base 0.2; open 2 → 0.10; low scores 3 → capped 0.30; overdue 90/30 = 3 → 0.1·2 = 0.2
    const r = churnRisk({ pAlive: 0.8, daysSinceLastOrder: 90, typicalGapDays: 30, openTickets: 2, breachedSlas: 0, lowScores: 3, reopens: 0 });
    expect(r.signals.map((s) => [s.signal, s.weight])).toEqual([
      ['openTickets', expect.closeTo(0.1, 12)],
      ['lowScores', 0.3],
      ['overdue', expect.closeTo(0.2, 12)],
    ]);
    expect(r.score).toBeCloseTo(1 - 0.8 * 0.9 * 0.7 * 0.8, 12);
  });

  it('falls back to the customer rhythm without a model, and to 0.5 with no information', () => {
    expect(churnRisk({ ...quiet, pAlive: null, daysSinceLastOrder: 60, typicalGapDays: 30 }).base).toBeCloseTo(1 / 3, 12);
    expect(churnRisk({ ...quiet, pAlive: null, daysSinceLastOrder: null, typicalGapDays: null }).score).toBe(0.5);
  });

  it('stays within [0, 1]', () => {
    const r = churnRisk({ pAlive: 0, daysSinceLastOrder: 1000, typicalGapDays: 1, openTickets: 99, breachedSlas: 99, lowScores: 99, reopens: 99 });
    expect(r.score).toBe(1);
  });
});
