/**
 * Kaplan–Meier estimator for time to repurchase. Censoring matters here: a ticket solved last week
 * with no order yet is not "never repurchased", it simply has not been watched long enough, and KM
 * uses it only for as long as it was observed.
 */

export interface SurvivalObservation {
  /** Time from origin (e.g. days since the ticket was solved) to the event or to censoring. */
  time: number;
  /** true = the event (repurchase) happened at `time`; false = still no event when last seen. */
  event: boolean;
  /** How many subjects share this time and outcome (default 1): SQL hands over counts, not rows. */
  count?: number;
}

export interface KaplanMeierStep {
  t: number;
  /** Subjects still under observation just before t (includes those censored at t). */
  atRisk: number;
  events: number;
  censored: number;
  /** S(t): probability of no event up to and including t. */
  survival: number;
  /** Greenwood variance of S(t); present only when asked for. */
  variance?: number;
}

export interface KaplanMeierOptions {
  greenwood?: boolean;
}

/**
 * One step per distinct observed time (censor-only times included, so charts can mark them).
 * Ties follow the usual convention: at a shared time, events happen before censorings, so a
 * subject censored at t still counts as at risk for the events at t.
 */
export function kaplanMeier(
  observations: readonly SurvivalObservation[],
  options: KaplanMeierOptions = {},
): KaplanMeierStep[] {
  let atRisk = 0;
  for (const o of observations) {
    if (!Number.isFinite(o.time) || o.time < 0) throw new RangeError(`time must be finite and >= 0, got ${o.time}`);
    const n = o.count ?? 1;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`count must be a whole number >= 0, got ${n}`);
    atRisk += n;
  }
  const sorted = [...observations].sort((p, q) => p.time - q.time);
  const steps: KaplanMeierStep[] = [];
  let survival = 1;
  // Σ d / (n (n − d)); becomes infinite once everyone at risk has the event, where S = 0 exactly.
  let greenwoodSum = 0;
  let i = 0;
  while (i < sorted.length) {
    const t = sorted[i].time;
    let events = 0;
    let censored = 0;
    while (i < sorted.length && sorted[i].time === t) {
      if (sorted[i].event) events += sorted[i].count ?? 1;
      else censored += sorted[i].count ?? 1;
      i++;
    }
    if (events > 0) {
      survival *= 1 - events / atRisk;
      greenwoodSum += events === atRisk ? Number.POSITIVE_INFINITY : events / (atRisk * (atRisk - events));
    }
    const step: KaplanMeierStep = { t, atRisk, events, censored, survival };
    if (options.greenwood) {
      // S = 0 is then known without sampling doubt under the estimator; report 0, not NaN (0 · ∞).
      step.variance = survival === 0 ? 0 : survival * survival * greenwoodSum;
    }
    steps.push(step);
    atRisk -= events + censored;
  }
  return steps;
}

/** S(t) read off the step function (right-continuous: the drop at an event time applies at it). */
export function survivalAt(steps: readonly KaplanMeierStep[], t: number): number {
  let s = 1;
  for (const step of steps) {
    if (step.t > t) break;
    s = step.survival;
  }
  return s;
}

/**
 * Median time to event: the first time S(t) <= 0.5, or null when the curve never gets there
 * (most customers not yet back), which must not be shown as a number.
 */
export function medianTime(steps: readonly KaplanMeierStep[]): number | null {
  for (const step of steps) if (step.survival <= 0.5) return step.t;
  return null;
}
