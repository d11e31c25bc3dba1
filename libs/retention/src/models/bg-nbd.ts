/**
 * BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").
 *
 * While alive a customer buys as Poisson(λ), λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p, p ~ Beta(a, b). A customer is summarised by x (repeat purchases), tx (time of the
 * last purchase) and T (time since the first purchase), all in the same time unit (weeks here).
 */
import betaln from '@stdlib/math-base-special-betaln';
import gammaln from '@stdlib/math-base-special-gammaln';
import { nelderMead } from './nelder-mead';

// Bound once: under Jest's vm sandbox every `Math.x` is a slow global lookup, ~10x the fit time.
const { abs, exp, log, max } = Math;

export interface BgNbdCustomer {
  /** Repeat purchases in the calibration period (the first purchase is not counted). */
  x: number;
  /** Time of the last purchase, measured from the first (0 when x = 0). */
  tx: number;
  /** Time from the first purchase to the end of calibration. */
  T: number;
}

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit extends BgNbdParams {
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

export function validateCustomer(c: BgNbdCustomer): void {
  if (!Number.isInteger(c.x) || c.x < 0) throw new RangeError(`x must be a non-negative integer, got ${c.x}`);
  if (!(c.T >= 0) || !(c.tx >= 0) || c.tx > c.T) {
    throw new RangeError(`need 0 <= tx <= T, got tx=${c.tx}, T=${c.T}`);
  }
  if (c.x === 0 && c.tx !== 0) throw new RangeError('tx must be 0 when x = 0');
}

/** log(e^u + e^v) without overflow: the two likelihood terms differ by hundreds of nats for heavy buyers. */
function logAddExp(u: number, v: number): number {
  const m = max(u, v);
  if (m === Number.NEGATIVE_INFINITY) return m;
  return m + log(exp(u - m) + exp(v - m));
}

/** FHL 2005 eq. 6, in logs. */
export function bgNbdCustomerLogLikelihood(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const common = gammaln(r + x) - gammaln(r) + r * log(alpha);
  const survived = betaln(a, b + x) - betaln(a, b) - (r + x) * log(alpha + T);
  if (x === 0) return common + survived;
  const diedAfterLast = betaln(a + 1, b + x - 1) - betaln(a, b) - (r + x) * log(alpha + tx);
  return common + logAddExp(survived, diedAfterLast);
}

export function bgNbdLogLikelihood(params: BgNbdParams, customers: readonly BgNbdCustomer[]): number {
  let ll = 0;
  for (const c of customers) ll += bgNbdCustomerLogLikelihood(params, c.x, c.tx, c.T);
  return ll;
}

/**
 * The special-function terms depend on x only, and x takes few distinct values, so the fit
 * evaluates them once per x per step and leaves only logs per customer; identical (x, tx, T)
 * rows (common in a cohort: everyone with x = 0 and the same start) are weighted, not repeated.
 */
interface XGroup {
  x: number;
  rows: { tx: number; T: number; n: number }[];
}

function groupCustomers(customers: readonly BgNbdCustomer[]): XGroup[] {
  const byX = new Map<number, Map<string, { tx: number; T: number; n: number }>>();
  for (const c of customers) {
    validateCustomer(c);
    let rows = byX.get(c.x);
    if (!rows) byX.set(c.x, (rows = new Map()));
    const key = `${c.tx}|${c.T}`;
    const row = rows.get(key);
    if (row) row.n++;
    else rows.set(key, { tx: c.tx, T: c.T, n: 1 });
  }
  return [...byX].map(([x, rows]) => ({ x, rows: [...rows.values()] }));
}

function groupedLogLikelihood(params: BgNbdParams, groups: readonly XGroup[]): number {
  const { r, alpha, a, b } = params;
  const lnBab = betaln(a, b);
  const base = r * log(alpha) - gammaln(r);
  let ll = 0;
  for (const { x, rows } of groups) {
    const common = base + gammaln(r + x);
    const survivedConst = betaln(a, b + x) - lnBab;
    const diedConst = x > 0 ? betaln(a + 1, b + x - 1) - lnBab : 0;
    for (const { tx, T, n } of rows) {
      const survived = survivedConst - (r + x) * log(alpha + T);
      const term =
        x === 0 ? survived : logAddExp(survived, diedConst - (r + x) * log(alpha + tx));
      ll += n * (common + term);
    }
  }
  return ll;
}

export interface BgNbdFitOptions {
  /** Starting point; the likelihood is well behaved, so the default (all ones) rarely matters. */
  initial?: BgNbdParams;
  maxIterations?: number;
}

/**
 * Maximum-likelihood fit. The simplex walks log-parameters so every candidate is positive without
 * constraints; the objective is the mean negative log-likelihood so tolerances do not depend on
 * the number of customers.
 */
export function fitBgNbd(customers: readonly BgNbdCustomer[], options: BgNbdFitOptions = {}): BgNbdFit {
  if (customers.length === 0) throw new RangeError('cannot fit BG/NBD to no customers');
  const groups = groupCustomers(customers);
  const n = customers.length;
  const toParams = (v: number[]): BgNbdParams => ({
    r: exp(v[0]),
    alpha: exp(v[1]),
    a: exp(v[2]),
    b: exp(v[3]),
  });
  const objective = (v: number[]): number => -groupedLogLikelihood(toParams(v), groups) / n;
  const init = options.initial ?? { r: 1, alpha: 1, a: 1, b: 1 };
  const result = nelderMead(
    objective,
    [log(init.r), log(init.alpha), log(init.a), log(init.b)],
    { xTolerance: 1e-7, fTolerance: 1e-12, maxIterations: options.maxIterations ?? 5000 },
  );
  return {
    ...toParams(result.x),
    logLikelihood: -result.fx * n,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/**
 * P(still alive | x, tx, T), FHL 2005 eq. 13. With x = 0 the model never offered a chance to drop
 * out (drop-out happens only right after a purchase), so the paper's formula gives exactly 1.
 */
export function pAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  validateCustomer({ x, tx, T });
  if (x === 0) return 1;
  const { r, alpha, a, b } = params;
  const logOdds = log(a / (b + x - 1)) + (r + x) * log((alpha + T) / (alpha + tx));
  return 1 / (1 + exp(logOdds));
}

/**
 * Gaussian hypergeometric 2F1(a, b; c; z) by its power series, for 0 <= z < 1.
 *
 * Why not @stdlib's hyp2f1 (0.1.1): it is inaccurate for c − a − b = −1 with z > 0.9, e.g. it returns
 * 3984 for 2F1(5.2, 7.1; 11.3; 0.93), whose value is 801.67 (Euler's transformation agrees).
 * BG/NBD calls it with c − a − b = a_model − 1 − r − x, which is negative for real fits and can be
 * any value, and with z → 1 at long horizons, so that case cannot be ruled out.
 *
 * Stopping rule: once all later terms share a sign, the term ratio tends to z and is eventually
 * monotone, so the tail is bounded by |term|·q/(1 − q) with q = max(current ratio, z); we stop
 * when that bound is below 1e-15 of the sum. Anything that has not converged after maxTerms
 * throws, rather than returning a silently truncated sum.
 */
export function hyp2f1(a: number, b: number, c: number, z: number, maxTerms = 2_000_000): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 series needs 0 <= z < 1, got ${z}`);
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1 undefined for c = ${c}`);
  if (z === 0) return 1;
  // Past this index a+n, b+n, c+n are positive, so terms keep one sign and the ratio settles.
  const settled = Math.ceil(max(0, -a, -b, -c)) + 1;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    const ratio = ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    term *= ratio;
    sum += term;
    if (term === 0) return sum;
    if (n >= settled) {
      const q = max(abs(ratio), z);
      if (q < 1 && (abs(term) * q) / (1 - q) <= 1e-15 * abs(sum)) return sum;
    }
  }
  throw new Error(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge in ${maxTerms} terms`);
}

/**
 * E[purchases in (T, T + t] | x, tx, T], FHL 2005 eq. 10. `t` is in the same unit as T.
 * Undefined at a = 1 exactly (a removable singularity of the closed form); a fitted a is never
 * exactly 1, and we nudge it rather than divide by zero.
 */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  validateCustomer({ x, tx, T });
  if (!(t >= 0)) throw new RangeError(`horizon t must be >= 0, got ${t}`);
  if (t === 0) return 0;
  const { r, alpha, b } = params;
  const a = abs(params.a - 1) < 1e-9 ? 1 + 1e-9 : params.a;
  const h = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const lead = (a + b + x - 1) / (a - 1);
  const bracket = 1 - exp((r + x) * log((alpha + T) / (alpha + T + t))) * h;
  const denom =
    x > 0 ? 1 + (a / (b + x - 1)) * exp((r + x) * log((alpha + T) / (alpha + tx))) : 1;
  return (lead * bracket) / denom;
}

/** E[X(t)] for a newly acquired customer, FHL 2005 eq. 7; handy for tracking plots and sanity checks. */
export function expectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  const { r, alpha, b } = params;
  const a = abs(params.a - 1) < 1e-9 ? 1 + 1e-9 : params.a;
  if (t <= 0) return 0;
  const h = hyp2f1(r, b, a + b - 1, t / (alpha + t));
  return ((a + b - 1) / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * h);
}
