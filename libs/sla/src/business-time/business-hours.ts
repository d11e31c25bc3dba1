import { DateTime, IANAZone } from 'luxon';

/** ISO weekday: 1 = Monday … 7 = Sunday (luxon's numbering). */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * One opening interval of a weekday, in the calendar's wall-clock time.
 * `close <= open` means the interval runs overnight into the next day; `close: '24:00'` (or an
 * overnight `'00:00'`) means it runs to the end of the day. `open === close` is a full 24 hours.
 */
export interface WeeklyInterval {
  day: IsoWeekday;
  open: string;
  close: string;
}

/**
 * Business hours. Treat instances as immutable: compiled forms are cached per object and content.
 *
 * Rules (the SLA clock and `GET /api/business-hours/:id/deadline` both rely on them):
 * - Overlapping intervals are merged, so time is never counted twice.
 * - A holiday (`YYYY-MM-DD` in `timezone`) cancels every interval that *opens* on that date. An
 *   overnight interval that opened the evening before runs to its normal close, even into a holiday:
 *   a night shift that has started is not cut short at midnight.
 * - DST: wall times are resolved by luxon. A time that does not exist (spring-forward gap) moves
 *   forward by the gap; an ambiguous time (fall-back) resolves to one of its two instants. An interval
 *   spanning a DST change therefore lasts its real length (e.g. 22:00–06:00 is 7 h or 9 h that night).
 */
export interface BusinessCalendar {
  timezone: string;
  weekly: WeeklyInterval[];
  holidays: string[];
}

/** An instant: a Date or epoch milliseconds. */
export type Instant = Date | number;

const MINUTE_MS = 60_000;
// A calendar that stays closed this long is treated as never open, so that a search always ends.
const MAX_CLOSED_DAYS = 3 * 366;

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

interface CompiledInterval {
  openMin: number;
  closeMin: number;
  /** True when the interval closes on the following date. */
  closesNextDay: boolean;
}

interface DayInfo {
  /** Local midnight of the date, as an instant. */
  startMs: number;
  /** Absolute intervals opening on this date, sorted by start, zero-length ones dropped. */
  spans: [number, number][];
}

interface CompiledCalendar {
  zone: string;
  /** Index 1..7 = ISO weekday; each list sorted by opening minute. */
  byWeekday: CompiledInterval[][];
  holidays: Set<string>;
  /** Resolving wall times through luxon dominates the cost; thousands of timers share the same days. */
  days: Map<string, DayInfo>;
}

function parseTime(value: unknown, allowEndOfDay: boolean): number | null {
  if (typeof value !== 'string') return null;
  if (allowEndOfDay && value === '24:00') return 24 * 60;
  const m = TIME_RE.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function isValidIsoDate(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = DATE_RE.exec(value);
  if (!m) return false;
  // Round-tripping through UTC rejects 2026-02-30 and friends.
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() + 1 === Number(m[2]) && d.getUTCDate() === Number(m[3]);
}

/**
 * Checks a calendar coming from the API or the database. Returns a message naming the offending
 * field, or null when the calendar is usable.
 */
export function validateCalendar(cal: unknown): string | null {
  if (typeof cal !== 'object' || cal === null) return 'calendar must be an object';
  const c = cal as Record<string, unknown>;
  if (typeof c.timezone !== 'string' || !IANAZone.isValidZone(c.timezone)) {
    return 'timezone must be a valid IANA time zone';
  }
  if (!Array.isArray(c.weekly)) return 'weekly must be an array';
  if (c.weekly.length === 0) return 'weekly must contain at least one interval';
  for (let i = 0; i < c.weekly.length; i++) {
    const item: unknown = c.weekly[i];
    if (typeof item !== 'object' || item === null) return `weekly[${i}] must be an object`;
    const w = item as Record<string, unknown>;
    if (typeof w.day !== 'number' || !Number.isInteger(w.day) || w.day < 1 || w.day > 7) {
      return `weekly[${i}].day must be an integer from 1 (Monday) to 7 (Sunday)`;
    }
    if (parseTime(w.open, false) === null) return `weekly[${i}].open must be HH:mm`;
    if (parseTime(w.close, true) === null) return `weekly[${i}].close must be HH:mm (or 24:00)`;
  }
  if (!Array.isArray(c.holidays)) return 'holidays must be an array';
  for (let i = 0; i < c.holidays.length; i++) {
    if (!isValidIsoDate(c.holidays[i])) return `holidays[${i}] must be a date YYYY-MM-DD`;
  }
  return null;
}

// Calendars are often re-read from the database, so identical content shares one compiled form.
const byObject = new WeakMap<BusinessCalendar, CompiledCalendar>();
const byContent = new Map<string, CompiledCalendar>();
const MAX_CACHED_CALENDARS = 256;
const MAX_CACHED_DAYS = 4096;

function compile(cal: BusinessCalendar): CompiledCalendar {
  const cached = byObject.get(cal);
  if (cached) return cached;
  const key = JSON.stringify([cal.timezone, cal.weekly, cal.holidays]);
  const shared = byContent.get(key);
  if (shared) {
    byObject.set(cal, shared);
    return shared;
  }
  const problem = validateCalendar(cal);
  if (problem !== null) {
    // An empty week would make every search run forever; say so plainly.
    throw new Error(
      cal.weekly?.length === 0 ? 'business calendar has no open interval' : `invalid business calendar: ${problem}`,
    );
  }
  const byWeekday: CompiledInterval[][] = Array.from({ length: 8 }, () => []);
  for (const w of cal.weekly) {
    const openMin = parseTime(w.open, false) as number;
    const closeMin = parseTime(w.close, true) as number;
    byWeekday[w.day].push({ openMin, closeMin, closesNextDay: closeMin <= openMin || closeMin === 24 * 60 });
  }
  for (const list of byWeekday) list.sort((a, b) => a.openMin - b.openMin);
  const compiled: CompiledCalendar = { zone: cal.timezone, byWeekday, holidays: new Set(cal.holidays), days: new Map() };
  if (byContent.size >= MAX_CACHED_CALENDARS) byContent.clear();
  byContent.set(key, compiled);
  byObject.set(cal, compiled);
  return compiled;
}

function toMs(value: Instant, name: string): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be a valid instant`);
  return ms;
}

// Plain date arithmetic in UTC avoids a luxon call per closed day.
function shiftDate(d: CivilDate, days: number): CivilDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function isoWeekday(d: CivilDate): number {
  const js = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return js === 0 ? 7 : js;
}

function dateKey(d: CivilDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function wallToMs(zone: string, d: CivilDate, minuteOfDay: number): number {
  return DateTime.fromObject(
    { year: d.year, month: d.month, day: d.day, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 },
    { zone },
  ).toMillis();
}

function dayInfo(cc: CompiledCalendar, date: CivilDate): DayInfo {
  const key = dateKey(date);
  const cached = cc.days.get(key);
  if (cached) return cached;
  const spans: [number, number][] = [];
  if (!cc.holidays.has(key)) {
    const next = shiftDate(date, 1);
    for (const iv of cc.byWeekday[isoWeekday(date)]) {
      const start = wallToMs(cc.zone, date, iv.openMin);
      const end = iv.closesNextDay ? wallToMs(cc.zone, next, iv.closeMin % (24 * 60)) : wallToMs(cc.zone, date, iv.closeMin);
      // DST can shrink an interval to nothing (e.g. 02:00–03:00 on a spring-forward night).
      if (end > start) spans.push([start, end]);
    }
    spans.sort((a, b) => a[0] - b[0]);
  }
  const info: DayInfo = { startMs: wallToMs(cc.zone, date, 0), spans };
  if (cc.days.size >= MAX_CACHED_DAYS) cc.days.clear();
  cc.days.set(key, info);
  return info;
}

/**
 * Open time from `fromMs` onwards as disjoint, ascending [start, end) pieces (ms). Stops once a day
 * starts at or after `untilMs`; without a bound it is endless unless the calendar stays closed for
 * MAX_CLOSED_DAYS, which throws.
 */
function* openSpans(cc: CompiledCalendar, fromMs: number, untilMs?: number): Generator<[number, number]> {
  // The local date is within a day of the UTC date (offsets stay within ±14 h), and an overnight
  // interval opened the day before may still be running: starting two days before the UTC date
  // covers both without asking luxon for the offset.
  const utc = new Date(fromMs);
  let date = shiftDate({ year: utc.getUTCFullYear(), month: utc.getUTCMonth() + 1, day: utc.getUTCDate() }, -2);
  let cursor = fromMs;
  let closedDays = 0;
  for (;;) {
    const day = dayInfo(cc, date);
    if (untilMs !== undefined && day.startMs >= untilMs) return;
    for (const [start, end] of day.spans) {
      // Spans arrive sorted by start (days in order, each sorted), so clipping at the cursor
      // removes every overlap between intervals.
      const s = Math.max(start, cursor);
      if (end > s) {
        yield [s, end];
        cursor = end;
      }
    }
    closedDays = day.spans.length > 0 ? 0 : closedDays + 1;
    if (untilMs === undefined && closedDays > MAX_CLOSED_DAYS) {
      throw new Error(`business calendar has no open interval within ${MAX_CLOSED_DAYS} days`);
    }
    date = shiftDate(date, 1);
  }
}

function assertMinutes(minutes: number): void {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError('minutes must be a finite number >= 0');
}

/**
 * The instant `minutes` business minutes after `from`. With a null calendar this is wall time.
 * Outside business hours the clock starts at the next opening; a deadline that uses up an interval
 * exactly lands on its close, not on the next opening. Zero minutes returns `from` unchanged.
 * Results are rounded to the millisecond.
 */
export function addBusinessMinutes(cal: BusinessCalendar | null, from: Instant, minutes: number): Date {
  const fromMs = toMs(from, 'from');
  assertMinutes(minutes);
  let remaining = Math.round(minutes * MINUTE_MS);
  if (cal === null || remaining === 0) return new Date(fromMs + remaining);
  for (const [s, e] of openSpans(compile(cal), fromMs)) {
    if (remaining <= e - s) return new Date(s + remaining);
    remaining -= e - s;
  }
  throw new Error('unreachable: open-time search ended without a result');
}

/** Business minutes inside [from, to); 0 when `to <= from`. With a null calendar, wall minutes. */
export function businessMinutesBetween(cal: BusinessCalendar | null, from: Instant, to: Instant): number {
  const fromMs = toMs(from, 'from');
  const toMsValue = toMs(to, 'to');
  if (toMsValue <= fromMs) return 0;
  if (cal === null) return (toMsValue - fromMs) / MINUTE_MS;
  let total = 0;
  for (const [s, e] of openSpans(compile(cal), fromMs, toMsValue)) {
    if (s >= toMsValue) break;
    total += Math.min(e, toMsValue) - s;
  }
  return total / MINUTE_MS;
}

/** Whether `at` falls inside business hours (always true without a calendar). */
export function isWithinBusinessHours(cal: BusinessCalendar | null, at: Instant): boolean {
  const ms = toMs(at, 'at');
  return businessMinutesBetween(cal, ms, ms + 1) > 0;
}
