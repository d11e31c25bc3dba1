import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expectedPurchases } from './bg-nbd';
import { parseCdnow } from './cdnow';
import { clv, expectedAverageValue, fitGammaGamma, gammaGammaCustomerLogLikelihood } from './gamma-gamma';

const CDNOW = path.resolve(__dirname, '../../../../../shared/data/cdnow_sample.txt');

describe('Gamma–Gamma log-likelihood', () => {
  it('is the Lomax density for p = 1, x = 1 (hand: 1·1/(1+1)² = 1/4)', () => {
    expect(gammaGammaCustomerLogLikelihood({ p: 1, q: 1, gamma: 1 }, 1, 1)).toBeCloseTo(Math.log(1 / 4), 12);
  });

  it('matches the formula by hand for p=2, q=3, γ=4, x=2, m̄=3', () => {
    // Γ(7)/(Γ(4)Γ(3)) · 4³ · 3³ · 2⁴ / 10⁷ = 60 · 64 · 27 · 16 / 10⁷
    const expected = Math.log((60 * 64 * 27 * 16) / 1e7);
    expect(gammaGammaCustomerLogLikelihood({ p: 2, q: 3, gamma: 4 }, 2, 3)).toBeCloseTo(expected, 12);
  });
});

describe('expectedAverageValue', () => {
  const params = { p: 2, q: 3, gamma: 4 };

  it('blends population and own mean: (γ + x·m̄)p/(px + q − 1) = 10·2/6', () => {
    expect(expectedAverageValue(params, 2, 3)).toBeCloseTo(20 / 6, 12);
  });

  it('is the population mean pγ/(q − 1) with no transactions', () => {
    expect(expectedAverageValue(params, 0, 123)).toBeCloseTo(4, 12);
  });

  it('approaches the customer mean as x grows', () => {
    expect(expectedAverageValue(params, 10_000, 50)).toBeCloseTo(50, 1);
  });

  it('refuses q <= 1 (infinite population mean)', () => {
    expect(() => expectedAverageValue({ p: 2, q: 1, gamma: 4 }, 1, 3)).toThrow(RangeError);
  });
});

describe('clv', () => {
  it('is expected purchases × expected value × margin', () => {
    const bg = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const gg = { p: 2, q: 3, gamma: 4 };
    const c = { x: 2, tx: 30.43, T: 38.86, meanSpend: 3 };
    const expected = expectedPurchases(bg, 52, 2, 30.43, 38.86) * (20 / 6) * 0.3;
    expect(clv(bg, gg, c, { horizon: 52, margin: 0.3 })).toBeCloseTo(expected, 12);
    expect(clv(bg, gg, c, { horizon: 52 })).toBeCloseTo(expected / 0.3, 12);
  });
});

describe('fitGammaGamma', () => {
  it('reproduces Fader & Hardie on CDNOW (p 6.25, q 3.74, γ 15.44) within 1%', () => {
    const customers = parseCdnow(readFileSync(CDNOW, 'utf8'));
    const fit = fitGammaGamma(customers);
    expect(fit.n).toBe(946);
    for (const [got, want] of [
      [fit.p, 6.25],
      [fit.q, 3.74],
      [fit.gamma, 15.44],
    ]) {
      expect(Math.abs(got - want) / want).toBeLessThan(0.01);
    }
    expect(fit.converged).toBe(true);
    // The grouped objective the fit uses must agree with the per-customer formula.
    const direct = customers
      .filter((c) => c.x >= 1)
      .reduce((s, c) => s + gammaGammaCustomerLogLikelihood(fit, c.x, c.meanSpend), 0);
    expect(fit.logLikelihood).toBeCloseTo(direct, 6);
  });

  it('skips customers without spend information and refuses when none remain', () => {
    expect(() => fitGammaGamma([{ x: 0, meanSpend: 0 }])).toThrow(RangeError);
  });
});
