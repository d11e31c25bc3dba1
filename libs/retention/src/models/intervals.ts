/**
 * Confidence intervals for rates. Wilson's score interval is used instead of the textbook Wald
 * interval because retention groups are often small or near 0%/100%, where Wald collapses to a
 * zero-width or out-of-range interval; Newcombe's hybrid builds the difference from two Wilsons so
 * the uplift interval inherits that behaviour (Newcombe 1998, "Interval estimation for the
 * difference between independent proportions", method 10).
 */

/** Two-sided 95% normal quantile, to full precision so fixtures match published tables. */
export const Z95 = 1.959963984540054;

export interface ProportionInterval {
  k: number;
  n: number;
  /** k / n, or null when n = 0: there is no rate, and showing 0% would read as "all lost". */
  rate: number | null;
  low: number;
  high: number;
}

function checkCounts(k: number, n: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new RangeError(`need integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
}

/**
 * Wilson score interval. At n = 0 the formula itself degenerates to [0, 1] (it knows nothing),
 * which is what we report alongside a null rate.
 */
export function wilsonInterval(k: number, n: number, z: number = Z95): ProportionInterval {
  checkCounts(k, n);
  if (n === 0) return { k, n, rate: null, low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = n + z2;
  const centre = (k + z2 / 2) / denom;
  const half = (z / denom) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  // At k = 0 or k = n the bound is exactly 0 or 1; rounding must not leave it a hair outside.
  return {
    k,
    n,
    rate: p,
    low: k === 0 ? 0 : Math.max(0, centre - half),
    high: k === n ? 1 : Math.min(1, centre + half),
  };
}

export interface DifferenceInterval {
  /** p1 − p2 (treated minus holdout for churn uplift). */
  difference: number;
  low: number;
  high: number;
  first: ProportionInterval;
  second: ProportionInterval;
}

/**
 * Newcombe hybrid score interval for p1 − p2 from independent samples. Null when either group is
 * empty: a difference against nothing has no meaning, and we would rather show "not enough data".
 */
export function newcombeInterval(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
  z: number = Z95,
): DifferenceInterval | null {
  const first = wilsonInterval(k1, n1, z);
  const second = wilsonInterval(k2, n2, z);
  if (first.rate === null || second.rate === null) return null;
  const p1 = first.rate;
  const p2 = second.rate;
  const d = p1 - p2;
  const low = d - Math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2);
  const high = d + Math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2);
  return { difference: d, low: Math.max(-1, low), high: Math.min(1, high), first, second };
}
