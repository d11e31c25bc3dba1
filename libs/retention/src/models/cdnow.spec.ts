import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCdnow } from './cdnow';

const CDNOW = path.resolve(__dirname, '../../../../../shared/data/cdnow_sample.txt');

describe('parseCdnow', () => {
  const text = [
    ' 00001 0001 19970101  2   10.00',
    ' 00001 0001 19970108  1    5.00',
    ' 00001 0001 19970108  1    7.00', // same day: one transaction of 12
    ' 00001 0001 19970930  1    8.00', // last calibration day: counts, tx = T
    ' 00001 0001 19971001  1    9.00', // hold-out
    ' 00002 0002 19970115  1   20.00',
    ' 00003 0003 19971005  1   30.00', // first purchase after calibration: not in the cohort
    '',
  ].join('\n');

  it('merges same-day purchases and measures weeks from the first purchase', () => {
    const [a, b] = parseCdnow(text);
    // 1997-01-01 → 09-30 is 272 days.
    expect(a).toEqual({
      id: '00001',
      firstPurchase: '1997-01-01',
      x: 2,
      tx: 272 / 7,
      T: 272 / 7,
      meanSpend: (12 + 8) / 2,
      holdoutPurchases: 1,
    });
    expect(b).toEqual({
      id: '00002',
      firstPurchase: '1997-01-15',
      x: 0,
      tx: 0,
      T: 258 / 7,
      meanSpend: 0,
      holdoutPurchases: 0,
    });
  });

  it('leaves out customers who first bought after calibration', () => {
    expect(parseCdnow(text).map((c) => c.id)).toEqual(['00001', '00002']);
  });

  it('honours another calibration window and unit', () => {
    const [a] = parseCdnow(text, { calibrationEnd: '1997-01-08', unitDays: 1 });
    expect(a).toMatchObject({ x: 1, tx: 7, T: 7, meanSpend: 12, holdoutPurchases: 2 });
  });

  it('reports the line of a malformed row', () => {
    expect(() => parseCdnow(' 00001 0001 19970101 2\n')).toThrow(/line 1/);
    expect(() => parseCdnow(' 00001 0001 19970101 2 1\n 00001 0001 19970231 1 2\n')).toThrow(/line 2: bad date/);
    expect(() => parseCdnow(' 00001 0001 19970101 2 abc\n')).toThrow(/line 1: bad amount/);
  });

  it("matches Fader & Hardie's published x/tx/T for the sample", () => {
    const customers = parseCdnow(readFileSync(CDNOW, 'utf8'));
    expect(customers).toHaveLength(2357);
    expect(customers.reduce((s, c) => s + c.x, 0)).toBe(2457);
    expect(customers.reduce((s, c) => s + c.holdoutPurchases, 0)).toBe(1882);
    const byId = new Map(customers.map((c) => [c.id, c]));
    // Their IDs 0001, 0059 (bought on 09-30) and 0157 (29 repeats).
    const rows: [string, number, number, number][] = [
      ['00004', 2, 30.43, 38.86],
      ['00645', 1, 38.43, 38.43],
      ['01760', 29, 37.71, 38.0],
    ];
    for (const [id, x, tx, T] of rows) {
      const c = byId.get(id)!;
      expect(c.x).toBe(x);
      expect(c.tx).toBeCloseTo(tx, 2);
      expect(c.T).toBeCloseTo(T, 2);
    }
  });
});
