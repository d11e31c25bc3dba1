import { Cohort } from './group-keys';

const DAY_MS = 86_400_000;

/**
 * How a repurchase report splits between the per-day rollup and ticket_retention itself.
 *
 * A UTC day can be answered from the rollup when every ticket anchored that day is inside the
 * cohort ([from, to), not after asOf) and on one side of the maturity line (anchor ≤ asOf − window):
 * days in [fromDay, toDay) except `cutDay`, the day the maturity line falls in. Those days are
 * matured when before cutDay, immature when after it. Everything else the cohort holds — the
 * partial first day, the day of the maturity line, the last (partial) days — is counted from
 * ticket_retention rows, a few days' worth through the anchor index.
 * Retained needs no asOf: a matured ticket's window ends by asOf.
 */
export interface RollupPlan {
  /** First whole day (inclusive, YYYY-MM-DD); null = no lower bound. */
  fromDay: string | null;
  /** End of whole days (exclusive, YYYY-MM-DD). */
  toDay: string;
  /** The day the maturity line (asOf − window) falls in: never read from the rollup. */
  cutDay: string;
  /** The same bounds as instants, for the raw part: anchors before fromAt, at/after toAt, or in [cutAt, cutEndAt). */
  fromAt: string | null;
  toAt: string;
  cutAt: string;
  cutEndAt: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const at = (ms: number) => new Date(ms).toISOString();

export function rollupPlan(c: Cohort): RollupPlan {
  const floor = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
  const from = c.from ? Math.ceil(c.from.getTime() / DAY_MS) * DAY_MS : null;
  // Anchors ≤ asOf are in the cohort, so asOf's own day is partial even at midnight.
  const to = Math.min(floor(c.asOf.getTime()), c.to ? floor(c.to.getTime()) : Infinity);
  const cut = floor(c.asOf.getTime() - c.window * DAY_MS);
  return {
    fromDay: from === null ? null : day(from),
    toDay: day(to),
    cutDay: day(cut),
    fromAt: from === null ? null : at(from),
    toAt: at(to),
    cutAt: at(cut),
    cutEndAt: at(cut + DAY_MS),
  };
}
