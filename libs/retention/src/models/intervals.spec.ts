import { newcombeInterval, wilsonInterval } from './intervals';

describe('wilsonInterval', () => {
  it('8/10 → 0.8 [0.490, 0.943] (hand: centre 9.9207/13.8415, half 0.2266)', () => {
    const w = wilsonInterval(8, 10);
    expect(w.rate).toBe(0.8);
    expect(w.low).toBeCloseTo(0.4902, 4);
    expect(w.high).toBeCloseTo(0.9433, 4);
  });

  it('pins the bounds at 0 and 1 when every ticket is lost or retained', () => {
    const none = wilsonInterval(0, 10);
    expect(none).toMatchObject({ rate: 0, low: 0 });
    expect(none.high).toBeCloseTo(0.2775, 4);
    const all = wilsonInterval(10, 10);
    expect(all).toMatchObject({ rate: 1, high: 1 });
    expect(all.low).toBeCloseTo(0.7225, 4);
  });

  it('has no rate for n = 0 and the uninformative [0, 1]', () => {
    expect(wilsonInterval(0, 0)).toEqual({ k: 0, n: 0, rate: null, low: 0, high: 1 });
  });

  it('narrows with more data at the same rate', () => {
    const small = wilsonInterval(8, 10);
    const big = wilsonInterval(800, 1000);
    expect(big.high - big.low).toBeLessThan(small.high - small.low);
  });

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
  });
});

describe('newcombeInterval', () => {
  // Newcombe (1998) Table II, method 10.
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
  ])('%i/%i − %i/%i → [%f, %f]', (k1, n1, k2, n2, low, high) => {
    const d = newcombeInterval(k1, n1, k2, n2);
    expect(d).not.toBeNull();
    expect(d!.difference).toBeCloseTo(k1 / n1 - k2 / n2, 12);
    expect(d!.low).toBeCloseTo(low, 4);
    expect(d!.high).toBeCloseTo(high, 4);
  });

  it('is built from the two Wilson intervals (hand check on 8/10 − 5/10)', () => {
    const a = wilsonInterval(8, 10);
    const b = wilsonInterval(5, 10);
    const d = newcombeInterval(8, 10, 5, 10)!;
    expect(d.low).toBeCloseTo(0.3 - Math.hypot(0.8 - a.low, b.high - 0.5), 12);
    expect(d.high).toBeCloseTo(0.3 + Math.hypot(a.high - 0.8, 0.5 - b.low), 12);
    expect(d.first).toEqual(a);
    expect(d.second).toEqual(b);
  });

  it('is null when a group is empty', () => {
    expect(newcombeInterval(0, 0, 3, 10)).toBeNull();
    expect(newcombeInterval(3, 10, 0, 0)).toBeNull();
  });
});
