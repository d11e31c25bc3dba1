import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsInstant, IsNotBlank, IsOptionalNotNull, parseInstant } from './validators';

describe('parseInstant', () => {
  it.each([
    ['2026-03-01T10:00:00Z', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01T10:00Z', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01T10:00:00.123456789Z', '2026-03-01T10:00:00.123Z'],
    ['2026-03-01T10:00:00+02:00', '2026-03-01T08:00:00.000Z'],
    ['2026-03-01T10:00:00-0530', '2026-03-01T15:30:00.000Z'],
    ['2026-03-01 10:00:00Z', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text)?.toISOString()).toBe(iso);
  });

  it.each([
    ['year 10000', '10000-01-01T00:00:00Z'],
    ['an expanded year', '+010000-01-01T00:00:00Z'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['a negative year', '-000001-01-01T00:00:00Z'],
    ['year 0 in UTC', '0001-01-01T00:30:00+01:00'],
    ['year 10000 in UTC', '9999-12-31T23:59:59-14:00'],
    ['February 30', '2026-02-30'],
    ['February 29 of a common year', '2026-02-29T10:00:00Z'],
    ['April 31', '2026-04-31'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['an offset of 19 hours', '2026-01-01T10:00:00+19:00'],
    ['a week date', '2026-W01-1'],
    ['a bare year', '2026'],
    ['text', 'yesterday'],
    ['a Unix timestamp', '1767225600'],
    ['trailing junk', '2026-01-01T00:00:00Zjunk'],
  ])('refuses %s', (_what, text) => {
    expect(parseInstant(text)).toBeNull();
  });
});

class Dto {
  @IsInstant() at: string;
  @IsOptionalNotNull() note?: string;
  @IsNotBlank() name = 'x';
}

const errors = (plain: object) => validateSync(plainToInstance(Dto, plain)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('IsInstant and IsOptionalNotNull', () => {
  it('name the field and the problem', () => {
    expect(errors({ at: '2026-03-01T10:00:00Z' })).toEqual([]);
    expect(errors({ at: '2026-03-01T10:00:00Z', note: 'x' })).toEqual([]);
    expect(errors({ at: '10000-01-01T00:00:00Z' })).toEqual(['at must be an ISO 8601 date-time in the years 0001-9999, such as 2026-03-01T10:00:00Z']);
    expect(errors({ at: 20260301 })).toEqual(['at must be an ISO 8601 date-time in the years 0001-9999, such as 2026-03-01T10:00:00Z']);
    expect(errors({ at: '2026-03-01', note: null })).toEqual(['note must not be null (leave it out instead)']);
    expect(errors({ at: '2026-03-01', name: ' \t' })).toEqual(['name must not be blank']);
  });
});
