import { rollupPlan } from './rollup-plan';

describe('rollupPlan', () => {
  const asOf = new Date('2026-06-15T10:30:00Z');

  it('whole days up to asOf, the maturity line day cut out, open start', () => {
    expect(rollupPlan({ window: 30, from: null, to: null, asOf })).toEqual({
      fromDay: null,
      toDay: '2026-06-15',
      cutDay: '2026-05-16',
      fromAt: null,
      toAt: '2026-06-15T00:00:00.000Z',
      cutAt: '2026-05-16T00:00:00.000Z',
      cutEndAt: '2026-05-17T00:00:00.000Z',
    });
  });

  it('rounds from up and to down to whole days; midnight bounds stay whole', () => {
    const p = rollupPlan({ window: 60, from: new Date('2026-01-01T00:00:01Z'), to: new Date('2026-03-01T00:00:00Z'), asOf });
    expect(p).toMatchObject({ fromDay: '2026-01-02', toDay: '2026-03-01', cutDay: '2026-04-16' });
    expect(rollupPlan({ window: 60, from: new Date('2026-01-01T00:00:00Z'), to: null, asOf }).fromDay).toBe('2026-01-01');
  });

  it('asOf at midnight: its day is still partial (anchors equal to asOf count)', () => {
    expect(rollupPlan({ window: 30, from: null, to: null, asOf: new Date('2026-06-15T00:00:00Z') }).toDay).toBe('2026-06-15');
  });

  it('a range inside one day leaves nothing to the rollup', () => {
    const p = rollupPlan({ window: 30, from: new Date('2026-06-01T05:00:00Z'), to: new Date('2026-06-01T07:00:00Z'), asOf });
    expect(p.fromDay! >= p.toDay).toBe(true);
  });

  it('stays inside the years 0001-9999 at the edges of the calendar (Postgres refuses year 0 and 10000)', () => {
    const early = rollupPlan({ window: 30, from: null, to: null, asOf: new Date('0001-01-01T00:00:00Z') });
    expect(early).toMatchObject({ cutDay: '0001-01-01', cutAt: '0001-01-01T00:00:00.000Z', toDay: '0001-01-01' });
    const late = rollupPlan({ window: 30, from: new Date('9999-12-31T23:59:59Z'), to: null, asOf: new Date('9999-12-31T23:59:59Z') });
    expect(late).toMatchObject({ fromDay: '9999-12-31', fromAt: '9999-12-31T00:00:00.000Z', cutEndAt: '9999-12-02T00:00:00.000Z' });
  });
});
