import type { BusinessCalendar } from './business-hours';
import {
  achieveTimer,
  breachTimer,
  businessMinutesLeft,
  isDue,
  isWarningDue,
  markWarned,
  pauseTimer,
  recomputeTimer,
  resumeTimer,
  startTimer,
  type SlaTimer,
} from './timer-math';

// Office hours Mon–Fri 09:00–17:00 in Berlin (CET = UTC+1 in January, CEST = UTC+2 from 29 March).
// January 2026: Mon 5, Thu 8, Fri 9, Sat 10, Mon 12. Expected values are worked out by hand.
const office: BusinessCalendar = {
  timezone: 'Europe/Berlin',
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1 | 2 | 3 | 4 | 5, open: '09:00', close: '17:00' })),
  holidays: [],
};

const d = (s: string): Date => new Date(s);
const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

describe('startTimer', () => {
  const cases: [string, BusinessCalendar | null, string, number, number, string, string][] = [
    // 240 from Mon 10:00 → 14:00 local; 80 % = 192 → 13:12 local.
    ['inside hours', office, '2026-01-05T10:00:00+01:00', 240, 80, '2026-01-05T13:00:00Z', '2026-01-05T12:12:00Z'],
    // Fri 16:00 + 120: 60 Friday, Mon 10:00 local; 50 % = 60 → Fri 17:00 exactly.
    ['over a weekend', office, '2026-01-09T16:00:00+01:00', 120, 50, '2026-01-12T09:00:00Z', '2026-01-09T16:00:00Z'],
    // Started on Saturday: the clock starts Mon 09:00; 48 → 09:48 local.
    ['started outside hours', office, '2026-01-10T12:00:00+01:00', 60, 80, '2026-01-12T09:00:00Z', '2026-01-12T08:48:00Z'],
    ['wall time, seconds', null, '2026-01-05T12:00:00Z', 0.5, 80, '2026-01-05T12:00:30Z', '2026-01-05T12:00:24Z'],
    ['warn at 100 % is the deadline', null, '2026-01-05T12:00:00Z', 10, 100, '2026-01-05T12:10:00Z', '2026-01-05T12:10:00Z'],
    ['warn at 0 % is the start', null, '2026-01-05T12:00:00Z', 10, 0, '2026-01-05T12:10:00Z', '2026-01-05T12:00:00Z'],
  ];

  it.each(cases)('%s', (_name, cal, at, minutes, pct, due, warn) => {
    const t = startTimer(cal, 'first_response', minutes, pct, d(at));
    expect(t).toMatchObject({ target: 'first_response', state: 'active', targetMinutes: minutes, warnAtPercent: pct, version: 1 });
    expect(iso(t.startedAt)).toBe(d(at).toISOString());
    expect(iso(t.dueAt)).toBe(d(due).toISOString());
    expect(iso(t.warnAt)).toBe(d(warn).toISOString());
    expect([t.pausedAt, t.remainingMinutes, t.warnedAt, t.breachedAt, t.achievedAt]).toEqual([null, null, null, null, null]);
  });

  it.each([
    ['zero minutes', 0, 80],
    ['negative minutes', -5, 80],
    ['percent above 100', 60, 120],
    ['negative percent', 60, -1],
  ])('rejects %s', (_name, minutes, pct) => {
    expect(() => startTimer(office, 'resolution', minutes, pct, d('2026-01-05T10:00:00Z'))).toThrow(RangeError);
  });
});

describe('pause and resume', () => {
  const cases: [string, BusinessCalendar | null, string, number, string, number, string, string, string][] = [
    // Thu 10:00 + 480 (due Fri 10:00). Paused Thu 16:00 after 360 → 120 left. Friday passes
    // paused; resumed Mon 09:00 → due Mon 11:00 local. Warn at 384: 24 more → 09:24 local.
    [
      'pause spanning Friday and the weekend',
      office,
      '2026-01-08T10:00:00+01:00',
      480,
      '2026-01-08T16:00:00+01:00',
      120,
      '2026-01-12T09:00:00+01:00',
      '2026-01-12T10:00:00Z',
      '2026-01-12T08:24:00Z',
    ],
    // Paused Fri 09:30 after 420 + 30 = 450 → 30 left; resumed Mon 14:00 → 14:30 local. The warning
    // threshold (384) was already crossed before the pause, so it is due at the resume.
    [
      'pause over the weekend after the warning threshold',
      office,
      '2026-01-08T10:00:00+01:00',
      480,
      '2026-01-09T09:30:00+01:00',
      30,
      '2026-01-12T14:00:00+01:00',
      '2026-01-12T13:30:00Z',
      '2026-01-12T13:00:00Z',
    ],
    // Wall time: 60 used before the pause, 180 left from Mon 08:00Z → 11:00Z; warn at 192 → 10:12Z.
    [
      'pause over a weekend without a calendar',
      null,
      '2026-01-09T15:00:00Z',
      240,
      '2026-01-09T16:00:00Z',
      180,
      '2026-01-12T08:00:00Z',
      '2026-01-12T11:00:00Z',
      '2026-01-12T10:12:00Z',
    ],
    // Started Fri 27 Mar 15:00 CET, paused 16:00 CET after 60 → 180 left. Resumed on Saturday (closed):
    // Mon 30 Mar 09:00 CEST (07:00Z) + 180 = 12:00 CEST. Warn at 192: 132 more → 11:12 CEST.
    [
      'pause over the spring-forward weekend, resumed while closed',
      office,
      '2026-03-27T15:00:00+01:00',
      240,
      '2026-03-27T16:00:00+01:00',
      180,
      '2026-03-28T12:00:00+01:00',
      '2026-03-30T10:00:00Z',
      '2026-03-30T09:12:00Z',
    ],
  ];

  it.each(cases)('%s', (_name, cal, startAt, minutes, pauseAt, remaining, resumeAt, due, warn) => {
    const started = startTimer(cal, 'resolution', minutes, 80, d(startAt));
    const paused = pauseTimer(cal, started, d(pauseAt));
    expect(paused).toMatchObject({ state: 'paused', dueAt: null, warnAt: null, version: 2 });
    expect(iso(paused.pausedAt)).toBe(d(pauseAt).toISOString());
    expect(paused.remainingMinutes).toBeCloseTo(remaining, 9);
    expect(isDue(paused, d('2030-01-01T00:00:00Z'))).toBe(false);

    const resumed = resumeTimer(cal, paused, d(resumeAt));
    expect(resumed).toMatchObject({ state: 'active', pausedAt: null, remainingMinutes: null, version: 3 });
    expect(iso(resumed.dueAt)).toBe(d(due).toISOString());
    expect(iso(resumed.warnAt)).toBe(d(warn).toISOString());
  });

  it('a pause at or after the deadline breaches at the deadline instead', () => {
    const t = startTimer(office, 'first_response', 60, 80, d('2026-01-05T10:00:00+01:00'));
    for (const at of ['2026-01-05T11:00:00+01:00', '2026-01-05T15:00:00+01:00']) {
      const p = pauseTimer(office, t, d(at));
      expect(p).toMatchObject({ state: 'breached', pausedAt: null, version: 2 });
      expect(iso(p.breachedAt)).toBe('2026-01-05T10:00:00.000Z');
    }
  });

  it('several pauses add up', () => {
    // Mon 09:00 + 480. Runs 09–10 (60), paused to 12:00, runs 12–14 (120), paused to Tue 09:00:
    // 300 left → Tue 14:00 local.
    let t = startTimer(office, 'resolution', 480, 80, d('2026-01-05T09:00:00+01:00'));
    t = pauseTimer(office, t, d('2026-01-05T10:00:00+01:00'));
    t = resumeTimer(office, t, d('2026-01-05T12:00:00+01:00'));
    t = pauseTimer(office, t, d('2026-01-05T14:00:00+01:00'));
    expect(t.remainingMinutes).toBe(300);
    t = resumeTimer(office, t, d('2026-01-06T09:00:00+01:00'));
    expect(iso(t.dueAt)).toBe('2026-01-06T13:00:00.000Z');
    expect(t.version).toBe(5);
  });

  it('pausing a paused timer and resuming an active one change nothing', () => {
    const t = startTimer(office, 'resolution', 480, 80, d('2026-01-05T09:00:00+01:00'));
    expect(resumeTimer(office, t, d('2026-01-05T10:00:00Z'))).toBe(t);
    const p = pauseTimer(office, t, d('2026-01-05T10:00:00+01:00'));
    expect(pauseTimer(office, p, d('2026-01-05T11:00:00+01:00'))).toBe(p);
  });

  it('keeps extra fields such as the row id', () => {
    const t = { ...startTimer(null, 'resolution', 60, 80, d('2026-01-05T10:00:00Z')), id: 'timer-1' };
    const p = pauseTimer(null, t, d('2026-01-05T10:10:00Z'));
    expect(p.id).toBe('timer-1');
  });
});

describe('achieveTimer and breachTimer', () => {
  // Due Mon 10:00 local (09:00Z).
  const active = (): SlaTimer => startTimer(office, 'first_response', 60, 80, d('2026-01-05T09:00:00+01:00'));

  it.each([
    ['before the deadline', '2026-01-05T08:30:00Z', 'achieved'],
    ['exactly at the deadline', '2026-01-05T09:00:00Z', 'achieved'],
    ['after the deadline', '2026-01-05T09:00:00.001Z', 'breached'],
  ])('an answer %s', (_name, at, state) => {
    const t = achieveTimer(active(), d(at));
    expect(t.state).toBe(state);
    expect(t.version).toBe(2);
    if (state === 'achieved') {
      expect(iso(t.achievedAt)).toBe(d(at).toISOString());
    } else {
      // The breach happened at the deadline, not when the late answer came in.
      expect(iso(t.breachedAt)).toBe('2026-01-05T09:00:00.000Z');
      expect(t.achievedAt).toBeNull();
    }
  });

  it('a paused timer is achieved', () => {
    const p = pauseTimer(office, active(), d('2026-01-05T09:30:00+01:00'));
    const t = achieveTimer(p, d('2026-01-09T12:00:00Z'));
    expect(t).toMatchObject({ state: 'achieved', pausedAt: null, version: 3 });
  });

  it('final timers stay final', () => {
    const achieved = achieveTimer(active(), d('2026-01-05T08:30:00Z'));
    expect(achieveTimer(achieved, d('2026-01-05T08:40:00Z'))).toBe(achieved);
    expect(breachTimer(achieved, d('2026-01-05T12:00:00Z'))).toBe(achieved);
    expect(pauseTimer(office, achieved, d('2026-01-05T08:40:00Z'))).toBe(achieved);
    const breached = breachTimer(active(), d('2026-01-05T09:00:00Z'));
    expect(achieveTimer(breached, d('2026-01-05T09:10:00Z'))).toBe(breached);
  });

  it('breaches only once the deadline has come, and only once', () => {
    const t = active();
    expect(breachTimer(t, d('2026-01-05T08:59:59.999Z'))).toBe(t);
    // A worker running late still records the deadline as the breach instant.
    const b = breachTimer(t, d('2026-01-05T09:00:00.250Z'));
    expect(b).toMatchObject({ state: 'breached', version: 2 });
    expect(iso(b.breachedAt)).toBe('2026-01-05T09:00:00.000Z');
    expect(breachTimer(b, d('2026-01-05T09:00:01Z'))).toBe(b);
  });

  it('isDue', () => {
    const t = active();
    expect(isDue(t, d('2026-01-05T08:59:59.999Z'))).toBe(false);
    expect(isDue(t, d('2026-01-05T09:00:00Z'))).toBe(true);
    expect(isDue(t, Date.parse('2026-01-05T09:00:01Z'))).toBe(true);
    expect(isDue(breachTimer(t, d('2026-01-05T09:00:00Z')), d('2026-01-05T10:00:00Z'))).toBe(false);
  });
});

describe('warnings', () => {
  it('fire once: markWarned records it without changing the schedule version', () => {
    // 60 from Mon 09:00 local, 80 % → warn 09:48 local = 08:48Z.
    const t = startTimer(office, 'first_response', 60, 80, d('2026-01-05T09:00:00+01:00'));
    expect(isWarningDue(t, d('2026-01-05T08:47:59Z'))).toBe(false);
    expect(isWarningDue(t, d('2026-01-05T08:48:00Z'))).toBe(true);
    const w = markWarned(t, d('2026-01-05T08:48:00.100Z'));
    expect(w.version).toBe(t.version);
    expect(iso(w.warnedAt)).toBe('2026-01-05T08:48:00.100Z');
    expect(isWarningDue(w, d('2026-01-05T08:50:00Z'))).toBe(false);
    expect(markWarned(w, d('2026-01-05T08:49:00Z'))).toBe(w);
  });
});

describe('recomputeTimer', () => {
  const mon9 = '2026-01-05T09:00:00+01:00';

  it.each([
    // 120 elapsed at Mon 11:00; new 240 → 120 left → 13:00 local; warn 192 → 72 left → 12:12 local.
    ['shorter target, time left', mon9, 480, '2026-01-05T11:00:00+01:00', 240, '2026-01-05T12:00:00Z', '2026-01-05T11:12:00Z'],
    // Started Fri 16:00: 60 Friday + 60 Monday elapsed at Mon 10:00; new 180 → Mon 11:00 local;
    // warn 144 → 24 left → 10:24 local.
    ['elapsed time over a weekend', '2026-01-09T16:00:00+01:00', 480, '2026-01-12T10:00:00+01:00', 180, '2026-01-12T10:00:00Z', '2026-01-12T09:24:00Z'],
    // Due 10:00, not yet marked breached at 10:30 (90 elapsed); new 120 → 30 left → 11:00 local;
    // warn at 96 → 6 more → 10:36 local.
    ['overdue timer rescued by a longer target', mon9, 60, '2026-01-05T10:30:00+01:00', 120, '2026-01-05T10:00:00Z', '2026-01-05T09:36:00Z'],
    // 90 elapsed at 10:30 against a new 100: 10 left → 10:40 local; warn at 80 already crossed →
    // due at the recompute itself.
    ['warning threshold already crossed', mon9, 480, '2026-01-05T10:30:00+01:00', 100, '2026-01-05T09:40:00Z', '2026-01-05T09:30:00Z'],
  ])('%s', (_name, startAt, minutes, at, newMinutes, due, warn) => {
    const t = startTimer(office, 'resolution', minutes, 80, d(startAt));
    const r = recomputeTimer(office, t, newMinutes, 80, d(at));
    expect(r).toMatchObject({ state: 'active', targetMinutes: newMinutes, version: 2 });
    expect(iso(r.dueAt)).toBe(d(due).toISOString());
    expect(iso(r.warnAt)).toBe(d(warn).toISOString());
  });

  it('breaches at once when the elapsed time already meets the new target', () => {
    const t = startTimer(office, 'resolution', 480, 80, d(mon9));
    const r = recomputeTimer(office, t, 60, 80, d('2026-01-05T11:00:00+01:00'));
    expect(r).toMatchObject({ state: 'breached', targetMinutes: 60, version: 2 });
    expect(iso(r.breachedAt)).toBe('2026-01-05T10:00:00.000Z');
  });

  it('updates a paused timer without starting its clock', () => {
    // 120 elapsed when paused at Mon 11:00; new 240 → 120 left; resumed Tue 09:00 → 11:00 local.
    let t = startTimer(office, 'resolution', 480, 80, d(mon9));
    t = pauseTimer(office, t, d('2026-01-05T11:00:00+01:00'));
    t = recomputeTimer(office, t, 240, 80, d('2026-01-05T15:00:00+01:00'));
    expect(t).toMatchObject({ state: 'paused', remainingMinutes: 120, dueAt: null, version: 3 });
    t = resumeTimer(office, t, d('2026-01-06T09:00:00+01:00'));
    expect(iso(t.dueAt)).toBe('2026-01-06T10:00:00.000Z');
    // Paused timer whose new target is already used up.
    let p = startTimer(office, 'resolution', 480, 80, d(mon9));
    p = pauseTimer(office, p, d('2026-01-05T11:00:00+01:00'));
    p = recomputeTimer(office, p, 100, 80, d('2026-01-05T15:00:00+01:00'));
    expect(p).toMatchObject({ state: 'breached', remainingMinutes: null, pausedAt: null });
    expect(iso(p.breachedAt)).toBe('2026-01-05T14:00:00.000Z');
  });

  it('measures elapsed time with the old calendar and places the deadline with the new one', () => {
    // Wall clock from 08:00Z: 120 elapsed at 10:00Z (11:00 local). Office calendar, 480: 360 left
    // → Mon 17:00 local = 16:00Z; warn 384 → 264 left → 15:24 local = 14:24Z.
    const t = startTimer(null, 'resolution', 600, 80, d('2026-01-05T08:00:00Z'));
    const r = recomputeTimer(office, t, 480, 80, d('2026-01-05T10:00:00Z'), null);
    expect(iso(r.dueAt)).toBe('2026-01-05T16:00:00.000Z');
    expect(iso(r.warnAt)).toBe('2026-01-05T14:24:00.000Z');
  });

  it('forgets a sent warning only when the new threshold is still ahead', () => {
    // 100 min from Mon 09:00, warned at 80; 90 elapsed at 10:30.
    const warned = markWarned(startTimer(office, 'resolution', 100, 80, d(mon9)), d('2026-01-05T10:20:00+01:00'));
    const at = d('2026-01-05T10:30:00+01:00');
    // New 480: threshold 384 is ahead (294 more → 15:24 local).
    const longer = recomputeTimer(office, warned, 480, 80, at);
    expect(longer.warnedAt).toBeNull();
    expect(iso(longer.warnAt)).toBe('2026-01-05T14:24:00.000Z');
    // New 105: threshold 84 already passed; the warning stays sent.
    expect(recomputeTimer(office, warned, 105, 80, at).warnedAt).toEqual(warned.warnedAt);
  });

  it('leaves final timers alone', () => {
    const achieved = achieveTimer(startTimer(office, 'resolution', 60, 80, d(mon9)), d('2026-01-05T09:30:00+01:00'));
    expect(recomputeTimer(office, achieved, 10, 80, d('2026-01-05T11:00:00Z'))).toBe(achieved);
  });
});

describe('businessMinutesLeft', () => {
  // 480 from Mon 09:00 local → due Mon 17:00 local.
  it.each([
    ['at Mon 11:00, 360 left', '2026-01-05T11:00:00+01:00', 360],
    ['at the deadline', '2026-01-05T17:00:00+01:00', 0],
    // Overdue: only Tue 09:00–10:00 is business time past the deadline.
    ['at Tue 10:00, 60 overdue', '2026-01-06T10:00:00+01:00', -60],
  ])('%s', (_name, now, expected) => {
    const t = startTimer(office, 'resolution', 480, 80, d('2026-01-05T09:00:00+01:00'));
    expect(businessMinutesLeft(office, t, d(now))).toBe(expected);
  });

  it('paused and final timers', () => {
    const t = startTimer(null, 'resolution', 60, 80, d('2026-01-05T09:00:00Z'));
    const p = pauseTimer(null, t, d('2026-01-05T09:15:00Z'));
    expect(businessMinutesLeft(null, p, d('2026-01-06T00:00:00Z'))).toBe(45);
    expect(businessMinutesLeft(null, achieveTimer(p, d('2026-01-06T00:00:00Z')), d('2026-01-06T00:00:00Z'))).toBe(0);
  });
});
