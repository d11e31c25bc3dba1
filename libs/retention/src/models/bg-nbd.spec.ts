import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  bgNbdCustomerLogLikelihood,
  bgNbdLogLikelihood,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  hyp2f1,
  pAlive,
} from './bg-nbd';
import { parseCdnow } from './cdnow';

const CDNOW = path.resolve(__dirname, '../../../../../shared/data/cdnow_sample.txt');
const PAPER = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

function within(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThanOrEqual(relative);
}

describe('BG/NBD log-likelihood', () => {
  it('matches eq. 6 evaluated by hand for x = 0', () => {
    // r=α=a=b=1, T=2: Γ(1)/Γ(1)·1^1/(1+2)^1 · B(1,1)/B(1,1) = 1/3.
    const ll = bgNbdCustomerLogLikelihood({ r: 1, alpha: 1, a: 1, b: 1 }, 0, 0, 2);
    expect(ll).toBeCloseTo(Math.log(1 / 3), 12);
  });

  it('matches eq. 6 evaluated by hand for x > 0', () => {
    // r=α=a=1, b=2, x=1, tx=1, T=3:
    // Γ(2)/Γ(1) = 1; B(1,3)/B(1,2) = (1/3)/(1/2) = 2/3; B(2,2)/B(1,2) = (1/6)/(1/2) = 1/3.
    // L = 2/3 · 1/(1+3)^2 + 1/3 · 1/(1+1)^2 = 1/24 + 1/12 = 1/8.
    const ll = bgNbdCustomerLogLikelihood({ r: 1, alpha: 1, a: 1, b: 2 }, 1, 1, 3);
    expect(ll).toBeCloseTo(Math.log(1 / 8), 12);
  });

  it('stays finite for a heavy buyer where the naive form would overflow', () => {
    const ll = bgNbdCustomerLogLikelihood(PAPER, 400, 38.9, 39);
    expect(Number.isFinite(ll)).toBe(true);
  });
});

describe('pAlive', () => {
  it('is 1 with no repeat purchases (no chance to drop out yet)', () => {
    expect(pAlive(PAPER, 0, 0, 39)).toBe(1);
  });

  it('matches eq. 13 by hand', () => {
    // a=1, b=2, x=1: a/(b+x-1) = 1/2; ((α+T)/(α+tx))^(r+x) = (4/2)^2 = 4 → 1/(1+2) = 1/3.
    expect(pAlive({ r: 1, alpha: 1, a: 1, b: 2 }, 1, 1, 3)).toBeCloseTo(1 / 3, 12);
  });

  it('is 1/(1 + a/(b+x-1)) when the last purchase is just now', () => {
    expect(pAlive(PAPER, 3, 20, 20)).toBeCloseTo(1 / (1 + PAPER.a / (PAPER.b + 2)), 12);
  });

  it('falls the longer a customer has been silent', () => {
    expect(pAlive(PAPER, 5, 10, 39)).toBeLessThan(pAlive(PAPER, 5, 30, 39));
  });

  it('rejects tx > T', () => {
    expect(() => pAlive(PAPER, 1, 5, 4)).toThrow(RangeError);
  });
});

describe('hyp2f1 series', () => {
  it('matches closed forms', () => {
    // 2F1(1,1;2;z) = −ln(1−z)/z
    for (const z of [0.1, 0.5, 0.9, 0.99]) {
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 10);
    }
    // 2F1(a,b;b;z) = (1−z)^−a, here with c − a − b = −1 (the case @stdlib gets wrong near 1).
    expect(hyp2f1(1, 2.5, 2.5, 0.95)).toBeCloseTo(20, 9);
    expect(hyp2f1(1.5, 0.5, 1, 0.95)).toBeGreaterThan(0);
    expect(hyp2f1(0.3, 0.7, 1.7, 0)).toBe(1);
  });

  it('agrees with Euler\'s transformation where @stdlib hyp2f1 is off by 5x', () => {
    // 2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z); here c − a − b = −1, z = 0.93.
    const direct = hyp2f1(5.2, 7.1, 11.3, 0.93);
    expect(direct).toBeCloseTo(801.6692, 3);
    expect(direct).toBeCloseTo(hyp2f1(6.1, 4.2, 11.3, 0.93) / 0.07, 8);
  });

  it('refuses z outside [0, 1)', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, -0.1)).toThrow(RangeError);
  });
});

describe('expectedPurchases', () => {
  it('is 0 over a zero horizon', () => {
    expect(expectedPurchases(PAPER, 0, 2, 30, 38)).toBe(0);
  });

  it('reproduces the paper example E[Y(39) | x=2, tx=30.43, T=38.86] = 1.226', () => {
    within(expectedPurchases(PAPER, 39, 2, 30.43, 38.86), 1.226, 0.002);
  });

  it('for x = 0 at T = 0 equals the new-customer expectation E[X(t)]', () => {
    expect(expectedPurchases(PAPER, 26, 0, 0, 0)).toBeCloseTo(expectedPurchasesNewCustomer(PAPER, 26), 10);
  });

  it('grows with the horizon and with recency', () => {
    expect(expectedPurchases(PAPER, 52, 3, 30, 39)).toBeGreaterThan(expectedPurchases(PAPER, 13, 3, 30, 39));
    expect(expectedPurchases(PAPER, 13, 3, 38, 39)).toBeGreaterThan(expectedPurchases(PAPER, 13, 3, 5, 39));
  });

  it('handles long horizons (z close to 1) without blowing up', () => {
    const v = expectedPurchases(PAPER, 5000, 1, 1, 2);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  });
});

describe('fitBgNbd on the CDNOW sample', () => {
  const customers = parseCdnow(readFileSync(CDNOW, 'utf8'));

  it('reproduces Fader, Hardie & Lee (2005) within 1%', () => {
    expect(customers).toHaveLength(2357);
    const started = Date.now();
    const fit = fitBgNbd(customers);
    const elapsed = Date.now() - started;
    within(fit.r, PAPER.r, 0.01);
    within(fit.alpha, PAPER.alpha, 0.01);
    within(fit.a, PAPER.a, 0.01);
    within(fit.b, PAPER.b, 0.01);
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 0);
    expect(fit.logLikelihood).toBeCloseTo(bgNbdLogLikelihood(fit, customers), 6);
    expect(fit.converged).toBe(true);
    expect(elapsed).toBeLessThan(3000);
  });

  it('rejects an empty customer list', () => {
    expect(() => fitBgNbd([])).toThrow(RangeError);
  });
});
