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

// Bounds are clamped to the years Postgres reads back from toISOString (0001-9999): a cohort at
// the edge of the calendar (asOf 0001-01-01 minus the window, from 9999-12-31 rounded up) would
// otherwise become "0000-…" or "+010000-…", which Postgres refuses. No ticket is anchored near
// either edge, so the clamp changes no count.
const FIRST_MS = Date.parse('0001-01-01T00:00:00Z');
const LAST_MS = Date.parse('9999-12-31T00:00:00Z');
const clamp = (ms: number) => Math.min(Math.max(ms, FIRST_MS), LAST_MS);
const day = (ms: number) => new Date(clamp(ms)).toISOString().slice(0, 10);
const at = (ms: number) => new Date(clamp(ms)).toISOString();

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
