import {
  addBusinessMinutes,
  businessMinutesBetween,
  isWithinBusinessHours,
  validateCalendar,
  type BusinessCalendar,
  type IsoWeekday,
} from './business-hours';
import { seededRandom } from '../../../../test/support/random';

// Expected values below are worked out by hand. Offsets to remember:
// Europe/Berlin CET = UTC+1, CEST = UTC+2 (2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00);
// America/New_York EST = UTC-5, EDT = UTC-4 (2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00).
// January 2026: Mon 5, Tue 6, Wed 7, Thu 8, Fri 9, Sat 10, Sun 11, Mon 12.

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const WEEKDAYS: IsoWeekday[] = [1, 2, 3, 4, 5];
const ALL_DAYS: IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];

function calendar(
  timezone: string,
  days: IsoWeekday[],
  hours: [string, string][],
  holidays: string[] = [],
): BusinessCalendar {
  return { timezone, weekly: days.flatMap((day) => hours.map(([open, close]) => ({ day, open, close }))), holidays };
}

const office = calendar(BERLIN, WEEKDAYS, [['09:00', '17:00']]);
const officeHolidays = calendar(BERLIN, WEEKDAYS, [['09:00', '17:00']], ['2026-12-24', '2026-12-25']);
const officeNY = calendar(NEW_YORK, WEEKDAYS, [['09:00', '17:00']]);
const split = calendar(BERLIN, WEEKDAYS, [
  ['09:00', '12:00'],
  ['13:00', '17:00'],
]);
const nights = calendar(BERLIN, WEEKDAYS, [['22:00', '06:00']]);
const nightsHoliday = calendar(BERLIN, WEEKDAYS, [['22:00', '06:00']], ['2026-01-06']);
const always = calendar(BERLIN, ALL_DAYS, [['00:00', '24:00']]);
const alwaysNY = calendar(NEW_YORK, ALL_DAYS, [['00:00', '24:00']]);
const saturdayNight = calendar(BERLIN, [6], [['22:00', '06:00']]);
const sundayEarly = calendar(BERLIN, [7], [['01:00', '04:00']]);
const sundayEarlyNY = calendar(NEW_YORK, [7], [['00:00', '06:00']]);

const iso = (s: string): string => new Date(s).toISOString();

describe('addBusinessMinutes', () => {
  const cases: [string, BusinessCalendar | null, string, number, string][] = [
    ['wall time without a calendar', null, '2026-03-28T12:00:00Z', 1440, '2026-03-29T12:00:00Z'],
    ['wall time, seconds', null, '2026-03-28T12:00:00Z', 0.5, '2026-03-28T12:00:30Z'],
    ['zero minutes returns from, even outside hours', office, '2026-01-10T12:00:00+01:00', 0, '2026-01-10T11:00:00Z'],
    ['inside hours, same day', office, '2026-01-05T10:00:00+01:00', 60, '2026-01-05T10:00:00Z'],
    // Mon 16:00 + 120: 60 on Monday, then Tue 09:00 + 60 = 10:00 local.
    ['overflows into next day', office, '2026-01-05T16:00:00+01:00', 120, '2026-01-06T09:00:00Z'],
    // Fri 16:30 + 60: 30 on Friday, weekend skipped, Mon 09:30 local.
    ['weekend skipped', office, '2026-01-09T16:30:00+01:00', 60, '2026-01-12T08:30:00Z'],
    ['from Saturday starts Monday 09:00', office, '2026-01-10T12:00:00+01:00', 30, '2026-01-12T08:30:00Z'],
    ['from before opening', office, '2026-01-05T07:00:00+01:00', 15, '2026-01-05T08:15:00Z'],
    ['from after closing', office, '2026-01-05T18:00:00+01:00', 15, '2026-01-06T08:15:00Z'],
    // Using up an interval exactly ends at its close, not at the next opening.
    ['lands exactly on close', office, '2026-01-05T16:00:00+01:00', 60, '2026-01-05T16:00:00Z'],
    ['fractional: 30 s to close', office, '2026-01-05T16:59:30+01:00', 0.5, '2026-01-05T16:00:00Z'],
    // 45 s from 16:59:30: 30 s on Monday, 15 s from Tue 09:00.
    ['fractional: 45 s across the night', office, '2026-01-05T16:59:30+01:00', 0.75, '2026-01-06T08:00:15Z'],
    ['fractional: one second', office, '2026-01-05T10:00:00+01:00', 1 / 60, '2026-01-05T09:00:01Z'],
    // Mon 11:30 + 60: 30 before lunch, lunch skipped, 13:00 + 30 = 13:30 local.
    ['several intervals: across lunch', split, '2026-01-05T11:30:00+01:00', 60, '2026-01-05T12:30:00Z'],
    ['several intervals: from lunch', split, '2026-01-05T12:15:00+01:00', 10, '2026-01-05T12:10:00Z'],
    // Mon 11:00 + 420: 60 (11–12) + 240 (13–17) = 300, then Tue 09:00 + 120 = 11:00 local.
    ['several intervals: into next day', split, '2026-01-05T11:00:00+01:00', 420, '2026-01-06T10:00:00Z'],
    ['overnight: before midnight', nights, '2026-01-05T23:00:00+01:00', 60, '2026-01-05T23:00:00Z'],
    // Mon 23:00 + 480: 420 to Tue 06:00, then Tue 22:00 + 60 = 23:00 local.
    ['overnight: into next shift', nights, '2026-01-05T23:00:00+01:00', 480, '2026-01-06T22:00:00Z'],
    // Sat 03:00 is inside Friday's 22:00–06:00 shift.
    ["overnight: Friday's shift runs into Saturday", nights, '2026-01-10T03:00:00+01:00', 60, '2026-01-10T03:00:00Z'],
    // Sat 12:00: no shift opens Sat or Sun; Mon 22:00 + 60.
    ['overnight: weekend skipped', nights, '2026-01-10T12:00:00+01:00', 60, '2026-01-12T22:00:00Z'],
    // Wed 16:00 + 120: 60 Wed; Thu 24 and Fri 25 holidays, weekend; Mon 28 09:00 + 60.
    ['holidays skipped', officeHolidays, '2026-12-23T16:00:00+01:00', 120, '2026-12-28T09:00:00Z'],
    ['from inside a holiday', officeHolidays, '2026-12-24T10:00:00+01:00', 30, '2026-12-28T08:30:00Z'],
    // Tue 6 is a holiday: Monday's shift still runs to Tue 06:00 (420 from 23:00), Tuesday's shift
    // (opening on the holiday) is skipped, Wed 22:00 + 60.
    ['holiday: overnight opened the day before continues', nightsHoliday, '2026-01-05T23:00:00+01:00', 480, '2026-01-07T22:00:00Z'],
    ['holiday: from inside the shift on the holiday', nightsHoliday, '2026-01-06T03:00:00+01:00', 60, '2026-01-06T03:00:00Z'],
    // Fri 16:00 CET + 120: 60 Friday; Mon 30 Mar 09:00 CEST (07:00Z) + 60.
    ['Berlin spring-forward weekend, office', office, '2026-03-27T16:00:00+01:00', 120, '2026-03-30T08:00:00Z'],
    // Fri 16:00 CEST + 120: Mon 26 Oct 09:00 CET (08:00Z) + 60.
    ['Berlin fall-back weekend, office', office, '2026-10-23T16:00:00+02:00', 120, '2026-10-26T09:00:00Z'],
    // 24/7: 1440 business minutes are 24 real hours; the local clock reads 13:00 on a 23 h day.
    ['Berlin spring-forward, 24/7', always, '2026-03-28T12:00:00+01:00', 1440, '2026-03-29T11:00:00Z'],
    ['Berlin fall-back, 24/7', always, '2026-10-24T12:00:00+02:00', 1440, '2026-10-25T10:00:00Z'],
    // Sat 22:00 CET (21:00Z) to Sun 06:00 CEST (04:00Z) is 7 real hours.
    ['Berlin spring-forward night shift is 7 h', saturdayNight, '2026-03-28T22:00:00+01:00', 420, '2026-03-29T04:00:00Z'],
    // One more minute: next Saturday 22:00 CEST (20:00Z) + 1.
    ['Berlin spring-forward night shift, 1 min over', saturdayNight, '2026-03-28T22:00:00+01:00', 421, '2026-04-04T20:01:00Z'],
    // Sat 22:00 CEST (20:00Z) to Sun 06:00 CET (05:00Z) is 9 real hours.
    ['Berlin fall-back night shift is 9 h', saturdayNight, '2026-10-24T22:00:00+02:00', 540, '2026-10-25T05:00:00Z'],
    // Sun 01:00 CET (00:00Z) to 04:00 CEST (02:00Z) is 2 h; 90 min in = 01:30Z (03:30 local).
    ['Berlin spring-forward, interval over the gap', sundayEarly, '2026-03-28T12:00:00+01:00', 90, '2026-03-29T01:30:00Z'],
    // 121 min: the 2 h are used up, next Sunday 01:00 CEST (Sat 23:00Z) + 1.
    ['Berlin spring-forward, gap interval used up', sundayEarly, '2026-03-28T12:00:00+01:00', 121, '2026-04-04T23:01:00Z'],
    // Sun 01:00 CEST (Sat 23:00Z) to 04:00 CET (03:00Z) is 4 h; 210 min in = 02:30Z.
    ['Berlin fall-back, interval over the repeated hour', sundayEarly, '2026-10-24T12:00:00+02:00', 210, '2026-10-25T02:30:00Z'],
    // Fri 16:00 EST (21:00Z) + 120: Mon 9 Mar 09:00 EDT (13:00Z) + 60.
    ['New York spring-forward weekend, office', officeNY, '2026-03-06T16:00:00-05:00', 120, '2026-03-09T14:00:00Z'],
    // Fri 16:00 EDT (20:00Z) + 120: Mon 2 Nov 09:00 EST (14:00Z) + 60.
    ['New York fall-back weekend, office', officeNY, '2026-10-30T16:00:00-04:00', 120, '2026-11-02T15:00:00Z'],
    ['New York spring-forward, 24/7', alwaysNY, '2026-03-07T12:00:00-05:00', 1440, '2026-03-08T17:00:00Z'],
    ['New York fall-back, 24/7', alwaysNY, '2026-10-31T12:00:00-04:00', 1440, '2026-11-01T16:00:00Z'],
    // Sun 00:00 EST (05:00Z) to 06:00 EDT (10:00Z) is 5 h.
    ['New York spring-forward, Sunday 00–06 is 5 h', sundayEarlyNY, '2026-03-07T12:00:00-05:00', 300, '2026-03-08T10:00:00Z'],
    // 301: next Sunday 00:00 EDT (04:00Z) + 1.
    ['New York spring-forward, Sunday 00–06, 1 min over', sundayEarlyNY, '2026-03-07T12:00:00-05:00', 301, '2026-03-15T04:01:00Z'],
    // Sun 00:00 EDT (04:00Z) to 06:00 EST (11:00Z) is 7 h.
    ['New York fall-back, Sunday 00–06 is 7 h', sundayEarlyNY, '2026-10-31T12:00:00-04:00', 420, '2026-11-01T11:00:00Z'],
    // 100,000 min = 208 full 480-min days + 160. From Mon 5 Jan 09:00: 41 weeks (205 days) end Fri
    // 16 Oct; Mon–Wed 19–21 Oct make 208; Thu 22 Oct 09:00 CEST + 160 = 11:40 CEST = 09:40Z.
    ['long range, crossing DST', office, '2026-01-05T09:00:00+01:00', 100_000, '2026-10-22T09:40:00Z'],
  ];

  it.each(cases)('%s', (_name, cal, from, minutes, expected) => {
    expect(addBusinessMinutes(cal, new Date(from), minutes).toISOString()).toBe(iso(expected));
  });

  it('accepts epoch milliseconds', () => {
    const from = Date.parse('2026-01-05T10:00:00+01:00');
    expect(addBusinessMinutes(office, from, 60).toISOString()).toBe(iso('2026-01-05T10:00:00Z'));
  });

  it('throws a clear error when the calendar has no open interval', () => {
    const empty: BusinessCalendar = { timezone: BERLIN, weekly: [], holidays: [] };
    expect(() => addBusinessMinutes(empty, new Date('2026-01-05T10:00:00Z'), 10)).toThrow(/no open interval/);
  });

  it('gives up after three closed years instead of searching forever', () => {
    // Monday-only hours, and every Monday of 2026–2030 a holiday.
    const mondays: string[] = [];
    for (let t = Date.UTC(2026, 0, 5); t < Date.UTC(2031, 0, 1); t += 7 * 86_400_000) {
      mondays.push(new Date(t).toISOString().slice(0, 10));
    }
    const closed = calendar(BERLIN, [1], [['09:00', '17:00']], mondays);
    expect(() => addBusinessMinutes(closed, new Date('2026-01-01T00:00:00Z'), 10)).toThrow(/no open interval within/);
    // Counting over a bounded range does not need an opening, so it does not throw.
    expect(businessMinutesBetween(closed, new Date('2026-01-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'))).toBe(0);
  });

  it.each([
    ['negative', -1],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('rejects %s minutes', (_name, minutes) => {
    expect(() => addBusinessMinutes(office, new Date('2026-01-05T10:00:00Z'), minutes)).toThrow(RangeError);
  });

  it('rejects an invalid instant and an invalid calendar', () => {
    expect(() => addBusinessMinutes(office, new Date('nope'), 1)).toThrow(RangeError);
    const bad: BusinessCalendar = { ...office, timezone: 'Mars/Olympus_Mons' };
    expect(() => addBusinessMinutes(bad, new Date('2026-01-05T10:00:00Z'), 1)).toThrow(/invalid business calendar: timezone/);
  });
});

describe('businessMinutesBetween', () => {
  const mon = (day: number, hhmm: string) => `2026-01-${String(day).padStart(2, '0')}T${hhmm}:00+01:00`;
  const cases: [string, BusinessCalendar | null, string, string, number][] = [
    ['wall time without a calendar', null, '2026-01-05T10:00:00Z', '2026-01-05T10:01:30Z', 1.5],
    ['empty range', office, mon(5, '10:00'), mon(5, '10:00'), 0],
    ['reversed range', office, mon(5, '12:00'), mon(5, '10:00'), 0],
    ['inside one interval', office, mon(5, '10:00'), mon(5, '11:30'), 90],
    // Fri 16:00–17:00 (60) + Mon 09:00–10:00 (60).
    ['over a weekend', office, mon(9, '16:00'), mon(12, '10:00'), 120],
    ['entirely outside hours', office, mon(10, '00:00'), mon(11, '23:59'), 0],
    // 09–12 and 13–17 on one day: 180 + 240.
    ['several intervals', split, mon(5, '00:00'), mon(6, '00:00'), 420],
    // Mon 22:00 → Tue 06:00 is 8 h, counted from Mon 00:00 to Wed 00:00 with Tue's own shift
    // 22:00 → Wed 00:00 (2 h) cut by the range end.
    ['overnight', nights, mon(5, '00:00'), mon(7, '00:00'), 600],
    // Tuesday is a holiday: Tuesday's shift is skipped, Monday's runs to Tue 06:00.
    ['overnight with a holiday', nightsHoliday, mon(5, '00:00'), mon(7, '00:00'), 480],
    ['Berlin spring-forward night shift', saturdayNight, '2026-03-28T12:00:00+01:00', '2026-03-29T12:00:00+02:00', 420],
    ['Berlin fall-back night shift', saturdayNight, '2026-10-24T12:00:00+02:00', '2026-10-25T12:00:00+01:00', 540],
    ['Berlin spring-forward, 01–04 interval', sundayEarly, '2026-03-28T12:00:00Z', '2026-03-30T00:00:00Z', 120],
    ['Berlin fall-back, 01–04 interval', sundayEarly, '2026-10-24T12:00:00Z', '2026-10-26T00:00:00Z', 240],
    ['New York spring-forward, 00–06 interval', sundayEarlyNY, '2026-03-07T12:00:00Z', '2026-03-09T00:00:00Z', 300],
    ['New York fall-back, 00–06 interval', sundayEarlyNY, '2026-10-31T12:00:00Z', '2026-11-02T00:00:00Z', 420],
    // Local Sat 00:00 → Mon 00:00 is 47 real hours around spring-forward, 49 around fall-back.
    ['24/7 over spring-forward', always, '2026-03-28T00:00:00+01:00', '2026-03-30T00:00:00+02:00', 47 * 60],
    ['24/7 over fall-back', always, '2026-10-24T00:00:00+02:00', '2026-10-26T00:00:00+01:00', 49 * 60],
    ['fractional: 45 s straddling close', office, '2026-01-05T16:59:15+01:00', '2026-01-05T17:30:00+01:00', 0.75],
  ];

  it.each(cases)('%s', (_name, cal, from, to, expected) => {
    expect(businessMinutesBetween(cal, new Date(from), new Date(to))).toBeCloseTo(expected, 9);
  });

  // Interval shapes, each measured over Mon 5 Jan 00:00 → Wed 7 Jan 00:00 (local).
  const shapes: [string, [IsoWeekday, string, string][], number][] = [
    // Overlaps are merged: 09–17 and 12–18 together are 09–18.
    ['overlapping intervals counted once', [[1, '09:00', '17:00'], [1, '12:00', '18:00']], 9 * 60],
    // Mon 22:00–Tue 06:00 overlaps Tue 00:00–08:00: together Mon 22:00–Tue 08:00.
    ['overnight overlapping the next day', [[1, '22:00', '06:00'], [2, '00:00', '08:00']], 10 * 60],
    ['close 24:00 is end of day', [[1, '20:00', '24:00']], 4 * 60],
    ['close 00:00 after open is end of day', [[1, '20:00', '00:00']], 4 * 60],
    ['open equal to close is 24 hours', [[1, '09:00', '09:00']], 24 * 60],
  ];

  it.each(shapes)('%s', (_name, weekly, expected) => {
    const cal: BusinessCalendar = { timezone: BERLIN, weekly: weekly.map(([day, open, close]) => ({ day, open, close })), holidays: [] };
    expect(businessMinutesBetween(cal, new Date(mon(5, '00:00')), new Date(mon(7, '00:00')))).toBe(expected);
  });
});

describe('isWithinBusinessHours', () => {
  it.each([
    [office, '2026-01-05T09:00:00+01:00', true],
    [office, '2026-01-05T17:00:00+01:00', false],
    [office, '2026-01-10T12:00:00+01:00', false],
    [nights, '2026-01-10T03:00:00+01:00', true],
    [null, '2026-01-10T03:00:00+01:00', true],
  ])('%#', (cal, at, expected) => {
    expect(isWithinBusinessHours(cal, new Date(at))).toBe(expected);
  });
});

describe('round trip properties', () => {
  const calendars: [string, BusinessCalendar | null][] = [
    ['none', null],
    ['office', office],
    ['office with holidays', officeHolidays],
    ['office New York', officeNY],
    ['split', split],
    ['nights', nights],
    ['nights with holiday', nightsHoliday],
    ['24/7', always],
    ['Saturday night', saturdayNight],
    ['Sunday early New York', sundayEarlyNY],
  ];
  const YEAR_MS = 365 * 86_400_000;
  const START = Date.UTC(2026, 0, 1);

  it.each(calendars)('businessMinutesBetween(from, addBusinessMinutes(from, m)) == m (%s)', (_name, cal) => {
    const rnd = seededRandom(42);
    for (let i = 0; i < 200; i++) {
      const from = new Date(START + Math.floor(rnd() * YEAR_MS));
      const minutes = rnd() * 20_000;
      const due = addBusinessMinutes(cal, from, minutes);
      // Deadlines are whole milliseconds, so allow half a millisecond (≈ 8e-6 min).
      expect(Math.abs(businessMinutesBetween(cal, from, due) - minutes)).toBeLessThan(1e-5);
    }
  });

  it.each(calendars)('addBusinessMinutes is additive (%s)', (_name, cal) => {
    const rnd = seededRandom(7);
    for (let i = 0; i < 100; i++) {
      const from = new Date(START + Math.floor(rnd() * YEAR_MS));
      // Whole seconds keep the millisecond rounding exact.
      const a = (1 + Math.floor(rnd() * 300_000)) / 60;
      const b = (1 + Math.floor(rnd() * 300_000)) / 60;
      const stepwise = addBusinessMinutes(cal, addBusinessMinutes(cal, from, a), b);
      expect(stepwise.toISOString()).toBe(addBusinessMinutes(cal, from, a + b).toISOString());
    }
  });
});

describe('validateCalendar', () => {
  const good = (): Record<string, unknown> => ({
    timezone: BERLIN,
    weekly: [
      { day: 1, open: '09:00', close: '17:00' },
      { day: 2, open: '22:00', close: '06:00' },
      { day: 3, open: '09:00', close: '24:00' },
    ],
    holidays: ['2026-12-24'],
  });
  const withWeekly = (i: number, patch: Record<string, unknown>) => {
    const cal = good();
    const weekly = cal.weekly as Record<string, unknown>[];
    weekly[i] = { ...weekly[i], ...patch };
    return cal;
  };

  it('accepts a valid calendar', () => {
    expect(validateCalendar(good())).toBeNull();
  });

  it.each([
    ['not an object', null, 'calendar must be an object'],
    ['unknown zone', { ...good(), timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    ['zone not a string', { ...good(), timezone: 1 }, 'timezone'],
    ['weekly missing', { ...good(), weekly: undefined }, 'weekly must be an array'],
    ['weekly empty', { ...good(), weekly: [] }, 'weekly must contain at least one interval'],
    ['weekly item not an object', { ...good(), weekly: ['x'] }, 'weekly[0] must be an object'],
    ['day 0', withWeekly(2, { day: 0 }), 'weekly[2].day'],
    ['day 8', withWeekly(1, { day: 8 }), 'weekly[1].day'],
    ['day fractional', withWeekly(0, { day: 1.5 }), 'weekly[0].day'],
    ['open H:mm', withWeekly(2, { open: '9:00' }), 'weekly[2].open must be HH:mm'],
    ['open 24:00', withWeekly(0, { open: '24:00' }), 'weekly[0].open must be HH:mm'],
    ['open minutes 60', withWeekly(0, { open: '09:60' }), 'weekly[0].open must be HH:mm'],
    ['close 25:00', withWeekly(1, { close: '25:00' }), 'weekly[1].close must be HH:mm'],
    ['close missing', withWeekly(1, { close: undefined }), 'weekly[1].close must be HH:mm'],
    ['holidays missing', { ...good(), holidays: 'x' }, 'holidays must be an array'],
    ['holiday not a date', { ...good(), holidays: ['2026-12-24', '2026-02-30'] }, 'holidays[1] must be a date YYYY-MM-DD'],
    ['holiday wrong format', { ...good(), holidays: ['2026-1-5'] }, 'holidays[0] must be a date YYYY-MM-DD'],
  ])('rejects %s', (_name, cal, message) => {
    expect(validateCalendar(cal)).toContain(message);
  });
});
