/**
 * Parser for the CDNOW sample (Fader & Hardie's 1/10th sample of the 1997 Q1 cohort), the data set
 * the BG/NBD and Gamma–Gamma papers are calibrated on, so our fits can be checked against them.
 *
 * Line format, whitespace separated: customer id, id within the sample, date YYYYMMDD, number of CDs,
 * dollar amount. The file runs to mid-1998; only the calibration window feeds x/tx/T, the rest is
 * counted as the hold-out so forecasts can be compared with what happened.
 */
import type { BgNbdCustomer } from './bg-nbd';

export interface CdnowCustomer extends BgNbdCustomer {
  id: string;
  /** First purchase, YYYY-MM-DD. */
  firstPurchase: string;
  /** Mean value of the repeat (not first) transactions in calibration; 0 when x = 0 (the spend papers do this). */
  meanSpend: number;
  /** Transactions (same-day merged) after calibration end up to the end of the file. */
  holdoutPurchases: number;
}

export interface CdnowOptions {
  /** Inclusive, YYYY-MM-DD. Only customers whose first purchase falls in [start, end] are kept. */
  calibrationStart?: string;
  /** Inclusive: purchases on this day are in calibration; T is measured to this day. */
  calibrationEnd?: string;
  /** Length of one time unit in days (7 → weeks, as in the papers). */
  unitDays?: number;
}

const DAY_MS = 86_400_000;

function dayNumber(iso: string): number {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`bad date ${iso}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  // Date.UTC silently rolls 19970231 into March; a data file that says so is corrupt, not early March.
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`bad date ${iso}`);
  }
  return ms / DAY_MS;
}

function isoOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function parseCdnow(text: string, options: CdnowOptions = {}): CdnowCustomer[] {
  const start = dayNumber(options.calibrationStart ?? '1997-01-01');
  // Purchases on the last day count, but T runs in whole days to that day, so a purchase on
  // 1997-09-30 has tx = T. This is how Fader & Hardie's published x/tx/T file is built (their
  // first customer has T = 38.86 = 272/7), and the paper's estimates are only reproduced with it.
  const lastDay = dayNumber(options.calibrationEnd ?? '1997-09-30');
  const unit = options.unitDays ?? 7;

  // Per customer: day → total amount, so same-day rows collapse into one transaction.
  const byCustomer = new Map<string, Map<number, number>>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 5) throw new SyntaxError(`line ${i + 1}: expected 5 fields, got ${fields.length}`);
    const [id, , date, , amountText] = fields;
    const amount = Number(amountText);
    if (!Number.isFinite(amount)) throw new SyntaxError(`line ${i + 1}: bad amount ${amountText}`);
    let day: number;
    try {
      day = dayNumber(date);
    } catch {
      throw new SyntaxError(`line ${i + 1}: bad date ${date}`);
    }
    let days = byCustomer.get(id);
    if (!days) byCustomer.set(id, (days = new Map()));
    days.set(day, (days.get(day) ?? 0) + amount);
  }

  const out: CdnowCustomer[] = [];
  for (const [id, days] of byCustomer) {
    const sorted = [...days.keys()].sort((p, q) => p - q);
    const first = sorted[0];
    if (first < start || first > lastDay) continue;
    const inCalibration = sorted.filter((d) => d <= lastDay);
    const repeats = inCalibration.slice(1);
    const last = inCalibration[inCalibration.length - 1];
    const repeatSpend = repeats.reduce((s, d) => s + (days.get(d) ?? 0), 0);
    out.push({
      id,
      firstPurchase: isoOf(first),
      x: repeats.length,
      tx: (last - first) / unit,
      T: (lastDay - first) / unit,
      meanSpend: repeats.length > 0 ? repeatSpend / repeats.length : 0,
      holdoutPurchases: sorted.length - inCalibration.length,
    });
  }
  return out;
}
