/**
 * Gamma–Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: Using
 * Iso-Value Curves for Customer Base Analysis"; Fader & Hardie 2013 note on the model).
 *
 * A customer's transaction values are Gamma(p, ν); ν ~ Gamma(q, γ) across customers. Only the mean
 * spend m̄ over x transactions is needed, and spend is assumed independent of purchase frequency
 * (check that on your data before trusting CLV).
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import { expectedPurchases, type BgNbdParams } from './bg-nbd';
import { nelderMead } from './nelder-mead';

// Bound once: under Jest's vm sandbox every `Math.x` is a slow global lookup, ~10x the fit time.
const { exp, log } = Math;

export interface SpendCustomer {
  /** Number of transactions the mean is over (repeat purchases in the papers); must be >= 1 to fit. */
  x: number;
  /** Mean value of those transactions; must be > 0 to fit. */
  meanSpend: number;
}

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Customers that entered the fit (x >= 1 and meanSpend > 0). */
  n: number;
}

/** Log density of the observed mean m̄ given x (FHL 2005 RFM/CLV, appendix). */
export function gammaGammaCustomerLogLikelihood(params: GammaGammaParams, x: number, meanSpend: number): number {
  const { p, q, gamma } = params;
  const px = p * x;
  return (
    gammaln(px + q) -
    gammaln(px) -
    gammaln(q) +
    q * log(gamma) +
    (px - 1) * log(meanSpend) +
    px * log(x) -
    (px + q) * log(gamma + x * meanSpend)
  );
}

function usable(c: SpendCustomer): boolean {
  return Number.isInteger(c.x) && c.x >= 1 && Number.isFinite(c.meanSpend) && c.meanSpend > 0;
}

/**
 * Maximum-likelihood fit over customers with at least one transaction and positive mean spend;
 * the rest carry no spend information and are skipped rather than rejected, so callers can pass
 * their whole base. Optimises log-parameters to keep them positive.
 */
export function fitGammaGamma(customers: readonly SpendCustomer[]): GammaGammaFit {
  const used = customers.filter(usable);
  if (used.length === 0) throw new RangeError('Gamma–Gamma needs customers with x >= 1 and meanSpend > 0');
  const toParams = (v: number[]): GammaGammaParams => ({
    p: exp(v[0]),
    q: exp(v[1]),
    gamma: exp(v[2]),
  });
  // The gamma-function terms depend on x only; evaluating them once per distinct x per step keeps
  // the fit to logs per customer.
  const byX = new Map<number, number[]>();
  for (const c of used) {
    const list = byX.get(c.x);
    if (list) list.push(c.meanSpend);
    else byX.set(c.x, [c.meanSpend]);
  }
  const objective = (v: number[]): number => {
    const { p, q, gamma } = toParams(v);
    const base = q * log(gamma) - gammaln(q);
    let ll = 0;
    for (const [x, spends] of byX) {
      const px = p * x;
      const constant = base + gammaln(px + q) - gammaln(px) + px * log(x);
      for (const m of spends) ll += constant + (px - 1) * log(m) - (px + q) * log(gamma + x * m);
    }
    return -ll / used.length;
  };
  const result = nelderMead(objective, [0, 0, 0], { xTolerance: 1e-7, fTolerance: 1e-12, maxIterations: 5000 });
  return {
    ...toParams(result.x),
    logLikelihood: -result.fx * used.length,
    iterations: result.iterations,
    converged: result.converged,
    n: used.length,
  };
}

/**
 * E[M | x, m̄] = (γ + x·m̄)·p / (p·x + q − 1): a credibility-weighted blend of the population mean
 * pγ/(q − 1) and the customer's own mean, leaning on the latter as x grows. With x = 0 it is the
 * population mean. Needs q > 1 (otherwise the population mean spend is infinite).
 */
export function expectedAverageValue(params: GammaGammaParams, x: number, meanSpend: number): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) throw new RangeError(`expected spend is infinite for q <= 1 (q = ${q})`);
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`x must be a non-negative integer, got ${x}`);
  const m = x === 0 ? 0 : meanSpend;
  return ((gamma + x * m) * p) / (p * x + q - 1);
}

export interface ClvInput {
  x: number;
  tx: number;
  T: number;
  meanSpend: number;
}

export interface ClvOptions {
  /** Horizon in the BG/NBD time unit (weeks for our fits): 13 ≈ 90 days, 52 = a year. */
  horizon: number;
  /** Share of revenue that is profit; 1 reports revenue-CLV. */
  margin?: number;
}

/**
 * CLV over a fixed horizon = E[purchases in horizon] × E[value per purchase] × margin.
 * Deliberately undiscounted: for the 13–52 week horizons a helpdesk looks at, discounting moves the
 * figure by a few percent while making it harder to explain to a supervisor; this is the number
 * to rank and compare customers by, not a finance valuation.
 */
export function clv(bg: BgNbdParams, gg: GammaGammaParams, customer: ClvInput, options: ClvOptions): number {
  const margin = options.margin ?? 1;
  const purchases = expectedPurchases(bg, options.horizon, customer.x, customer.tx, customer.T);
  return purchases * expectedAverageValue(gg, customer.x, customer.meanSpend) * margin;
}
