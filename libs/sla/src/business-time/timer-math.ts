import { addBusinessMinutes, businessMinutesBetween, type BusinessCalendar, type Instant } from './business-hours';

export type SlaTarget = 'first_response' | 'next_response' | 'resolution';
export type SlaTimerState = 'active' | 'paused' | 'achieved' | 'breached';

/**
 * The arithmetic part of an SLA timer. Functions below are pure: they return a new object (keeping
 * any extra fields such as `id` or `ticketId`) or the same object when the call does not apply.
 *
 * Every transition that changes the schedule bumps `version`, so jobs keyed `sla.<timerId>.<version>`
 * from an older schedule can be recognised as stale. `markWarned` is the one write that does not:
 * it records that the warning fired without moving any instant, so the pending breach job stays valid.
 */
export interface SlaTimer {
  target: SlaTarget;
  state: SlaTimerState;
  targetMinutes: number;
  /** Needed again on resume and recompute to place the warning. */
  warnAtPercent: number;
  startedAt: Date;
  /** Deadline while active; null while paused (the clock is stopped); kept as-is once final. */
  dueAt: Date | null;
  /** Instant the warning is due while active; `<=` the transition time when already crossed. */
  warnAt: Date | null;
  pausedAt: Date | null;
  /** Business minutes left, set only while paused. */
  remainingMinutes: number | null;
  warnedAt: Date | null;
  breachedAt: Date | null;
  achievedAt: Date | null;
  version: number;
}

function toDate(at: Instant): Date {
  const d = typeof at === 'number' ? new Date(at) : new Date(at.getTime());
  if (Number.isNaN(d.getTime())) throw new RangeError('at must be a valid instant');
  return d;
}

function assertTarget(minutes: number, warnAtPercent: number): void {
  if (!Number.isFinite(minutes) || minutes <= 0) throw new RangeError('target minutes must be a finite number > 0');
  if (!Number.isFinite(warnAtPercent) || warnAtPercent < 0 || warnAtPercent > 100) {
    throw new RangeError('warnAtPercent must be between 0 and 100');
  }
}

/**
 * Where the warning falls when `remaining` business minutes are left at `at`. If the threshold has
 * already been crossed the warning is due immediately (callers skip it when `warnedAt` is set).
 */
function warnInstant(cal: BusinessCalendar | null, at: Date, targetMinutes: number, pct: number, remaining: number): Date {
  // target*pct/100 - elapsed keeps whole numbers exact for the usual 80 % of whole minutes.
  const untilWarn = (targetMinutes * pct) / 100 - (targetMinutes - remaining);
  return untilWarn > 0 ? addBusinessMinutes(cal, at, untilWarn) : at;
}

/** Business minutes from `at` to `dueAt`, negative when the deadline is already behind. */
function signedRemaining(cal: BusinessCalendar | null, at: Date, dueAt: Date): number {
  return at.getTime() <= dueAt.getTime()
    ? businessMinutesBetween(cal, at, dueAt)
    : -businessMinutesBetween(cal, dueAt, at);
}

export function startTimer(
  cal: BusinessCalendar | null,
  target: SlaTarget,
  minutes: number,
  warnAtPercent: number,
  at: Instant,
): SlaTimer {
  assertTarget(minutes, warnAtPercent);
  const startedAt = toDate(at);
  return {
    target,
    state: 'active',
    targetMinutes: minutes,
    warnAtPercent,
    startedAt,
    dueAt: addBusinessMinutes(cal, startedAt, minutes),
    warnAt: warnInstant(cal, startedAt, minutes, warnAtPercent, minutes),
    pausedAt: null,
    remainingMinutes: null,
    warnedAt: null,
    breachedAt: null,
    achievedAt: null,
    version: 1,
  };
}

/**
 * Stops the clock, keeping the business minutes left. A timer already past its deadline cannot be
 * paused out of its breach: it becomes breached at `dueAt`.
 */
export function pauseTimer<T extends SlaTimer>(cal: BusinessCalendar | null, timer: T, at: Instant): T {
  if (timer.state !== 'active' || timer.dueAt === null) return timer;
  const now = toDate(at);
  if (now.getTime() >= timer.dueAt.getTime()) return breachTimer(timer, now);
  return {
    ...timer,
    state: 'paused',
    pausedAt: now,
    // Measured against the deadline rather than summed per run, so earlier pauses need no history.
    remainingMinutes: Math.min(timer.targetMinutes, businessMinutesBetween(cal, now, timer.dueAt)),
    dueAt: null,
    warnAt: null,
    version: timer.version + 1,
  };
}

/** Restarts the clock: the new deadline is the remaining business minutes from `at`. */
export function resumeTimer<T extends SlaTimer>(cal: BusinessCalendar | null, timer: T, at: Instant): T {
  if (timer.state !== 'paused') return timer;
  const now = toDate(at);
  const remaining = Math.max(0, timer.remainingMinutes ?? 0);
  return {
    ...timer,
    state: 'active',
    dueAt: addBusinessMinutes(cal, now, remaining),
    warnAt: warnInstant(cal, now, timer.targetMinutes, timer.warnAtPercent, remaining),
    pausedAt: null,
    remainingMinutes: null,
    version: timer.version + 1,
  };
}

/**
 * The target was met at `at` (agent replied / ticket solved). In time means `at <= dueAt`; later, the
 * timer ends breached at its deadline even if the breach job has not run yet. A paused timer always
 * had time left (pausing past the deadline breaches), so it is achieved.
 */
export function achieveTimer<T extends SlaTimer>(timer: T, at: Instant): T {
  const now = toDate(at);
  if (timer.state === 'paused') {
    return { ...timer, state: 'achieved', achievedAt: now, pausedAt: null, version: timer.version + 1 };
  }
  if (timer.state !== 'active' || timer.dueAt === null) return timer;
  if (now.getTime() > timer.dueAt.getTime()) return breachTimer(timer, now);
  return { ...timer, state: 'achieved', achievedAt: now, version: timer.version + 1 };
}

/**
 * Marks an active timer breached once its deadline has come; `breachedAt` is the deadline itself,
 * not the (possibly late) moment a worker noticed. Anything else is returned unchanged.
 */
export function breachTimer<T extends SlaTimer>(timer: T, at: Instant): T {
  if (timer.state !== 'active' || timer.dueAt === null || !isDue(timer, at)) return timer;
  return { ...timer, state: 'breached', breachedAt: timer.dueAt, version: timer.version + 1 };
}

/** Records that the warning fired. Does not bump `version` (see SlaTimer). */
export function markWarned<T extends SlaTimer>(timer: T, at: Instant): T {
  if (timer.warnedAt !== null) return timer;
  return { ...timer, warnedAt: toDate(at) };
}

/**
 * A new target after a priority, team or policy change. The business time already elapsed (measured
 * with `previousCal`, the calendar the timer ran under; defaults to `cal`) counts against the new
 * target, and the new deadline is placed with `cal`. If that already meets it, the timer
 * is breached at `at` (the change is when the breach became true). Final timers stay as they are:
 * a breach that has been reported is never taken back. A warning already sent is forgotten when the
 * new threshold lies ahead, so the agent is warned again for the new target.
 */
export function recomputeTimer<T extends SlaTimer>(
  cal: BusinessCalendar | null,
  timer: T,
  newMinutes: number,
  newWarnAtPercent: number,
  at: Instant,
  previousCal: BusinessCalendar | null = cal,
): T {
  if (timer.state !== 'active' && timer.state !== 'paused') return timer;
  assertTarget(newMinutes, newWarnAtPercent);
  const now = toDate(at);
  const remainingNow =
    timer.state === 'active' && timer.dueAt !== null
      ? signedRemaining(previousCal, now, timer.dueAt)
      : (timer.remainingMinutes ?? 0);
  const elapsed = timer.targetMinutes - remainingNow;
  const remaining = newMinutes - elapsed;
  const base = {
    ...timer,
    targetMinutes: newMinutes,
    warnAtPercent: newWarnAtPercent,
    warnedAt: elapsed < (newMinutes * newWarnAtPercent) / 100 ? null : timer.warnedAt,
    version: timer.version + 1,
  };
  if (remaining <= 0) {
    return { ...base, state: 'breached', breachedAt: now, dueAt: timer.dueAt ?? now, pausedAt: null, remainingMinutes: null };
  }
  if (timer.state === 'paused') return { ...base, remainingMinutes: remaining };
  return {
    ...base,
    dueAt: addBusinessMinutes(cal, now, remaining),
    warnAt: warnInstant(cal, now, newMinutes, newWarnAtPercent, remaining),
  };
}

/** Whether the deadline of an active timer has come. */
export function isDue(timer: SlaTimer, now: Instant): boolean {
  return timer.state === 'active' && timer.dueAt !== null && toDate(now).getTime() >= timer.dueAt.getTime();
}

/** Whether an active timer's warning should fire now (and has not yet). */
export function isWarningDue(timer: SlaTimer, now: Instant): boolean {
  return (
    timer.state === 'active' && timer.warnedAt === null && timer.warnAt !== null && toDate(now).getTime() >= timer.warnAt.getTime()
  );
}

/** Business minutes left (negative when overdue); for countdowns. Final timers report 0. */
export function businessMinutesLeft(cal: BusinessCalendar | null, timer: SlaTimer, now: Instant): number {
  if (timer.state === 'paused') return timer.remainingMinutes ?? 0;
  if (timer.state !== 'active' || timer.dueAt === null) return 0;
  return signedRemaining(cal, toDate(now), timer.dueAt);
}
