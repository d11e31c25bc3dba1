import { kaplanMeier, medianTime, survivalAt } from './kaplan-meier';

// Times: 1 event; 2 event, event, censored (tie); 3 censored; 4 event; 5 censored.
const DATA = [
  { time: 4, event: true },
  { time: 2, event: false },
  { time: 1, event: true },
  { time: 2, event: true },
  { time: 5, event: false },
  { time: 3, event: false },
  { time: 2, event: true },
];

describe('kaplanMeier', () => {
  it('computes the product-limit steps by hand, events before censorings at a tie', () => {
    expect(kaplanMeier(DATA)).toEqual([
      { t: 1, atRisk: 7, events: 1, censored: 0, survival: expect.closeTo(6 / 7, 12) },
      // The subject censored at 2 is still at risk for the two events at 2: 6/7 · (1 − 2/6).
      { t: 2, atRisk: 6, events: 2, censored: 1, survival: expect.closeTo(4 / 7, 12) },
      { t: 3, atRisk: 3, events: 0, censored: 1, survival: expect.closeTo(4 / 7, 12) },
      { t: 4, atRisk: 2, events: 1, censored: 0, survival: expect.closeTo(2 / 7, 12) },
      { t: 5, atRisk: 1, events: 0, censored: 1, survival: expect.closeTo(2 / 7, 12) },
    ]);
  });

  it('takes counts: grouped observations give the same steps as one row per subject', () => {
    const grouped = [
      { time: 2, event: true, count: 2 },
      { time: 4, event: true },
      { time: 1, event: true, count: 1 },
      { time: 2, event: false, count: 1 },
      { time: 3, event: false },
      { time: 5, event: false, count: 1 },
    ];
    expect(kaplanMeier(grouped, { greenwood: true })).toEqual(kaplanMeier(DATA, { greenwood: true }));
    expect(() => kaplanMeier([{ time: 1, event: true, count: 1.5 }])).toThrow(RangeError);
  });

  it('adds Greenwood variances when asked', () => {
    const steps = kaplanMeier(DATA, { greenwood: true });
    // S² Σ d/(n(n−d)): t=1 (6/7)²·1/42; t=2 (4/7)²·(1/42 + 2/24); t=4 (2/7)²·(1/42 + 1/12 + 1/2).
    expect(steps[0].variance).toBeCloseTo((36 / 49) * (1 / 42), 12);
    expect(steps[1].variance).toBeCloseTo((16 / 49) * (1 / 42 + 1 / 12), 12);
    expect(steps[2].variance).toBeCloseTo(steps[1].variance!, 12);
    expect(steps[3].variance).toBeCloseTo((4 / 49) * (1 / 42 + 1 / 12 + 1 / 2), 12);
    expect(kaplanMeier(DATA)[0]).not.toHaveProperty('variance');
  });

  it('with no censoring is the empirical survival function', () => {
    const steps = kaplanMeier([1, 2, 3, 4].map((time) => ({ time, event: true })), { greenwood: true });
    expect(steps.map((s) => s.survival)).toEqual([0.75, 0.5, expect.closeTo(0.25, 12), 0]);
    expect(steps[3].variance).toBe(0);
  });

  it('stays at 1 when everyone is censored (recent tickets are not losses)', () => {
    const steps = kaplanMeier([{ time: 5, event: false }, { time: 9, event: false }]);
    expect(steps.every((s) => s.survival === 1)).toBe(true);
  });

  it('handles empty input and rejects bad times', () => {
    expect(kaplanMeier([])).toEqual([]);
    expect(() => kaplanMeier([{ time: -1, event: true }])).toThrow(RangeError);
    expect(() => kaplanMeier([{ time: Number.NaN, event: true }])).toThrow(RangeError);
  });
});

describe('survivalAt / medianTime', () => {
  const steps = kaplanMeier(DATA);

  it('reads the right-continuous step function', () => {
    expect(survivalAt(steps, 0.5)).toBe(1);
    expect(survivalAt(steps, 1)).toBeCloseTo(6 / 7, 12);
    expect(survivalAt(steps, 3.9)).toBeCloseTo(4 / 7, 12);
    expect(survivalAt(steps, 100)).toBeCloseTo(2 / 7, 12);
  });

  it('finds the median, or null when S never reaches 0.5', () => {
    expect(medianTime(steps)).toBe(4);
    expect(medianTime(kaplanMeier([{ time: 1, event: true }, { time: 2, event: false }, { time: 3, event: false }]))).toBeNull();
  });
});
