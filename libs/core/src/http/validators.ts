import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

// Date, or date and time (T or a space), seconds and fraction optional, Z or a ±hh[:mm] offset optional.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;

/**
 * An ISO 8601 date or date-time that names a real moment Postgres can store: calendar dates only
 * (no February 30), hours 00–23, offsets up to ±18:00, and the year 0001–9999 both as written and
 * in UTC (JavaScript would turn year 0 or 10000 into text Postgres refuses). A bare date is
 * midnight UTC; a date-time without an offset is checked as if it were UTC. Null when it is none of that.
 */
export function parseInstant(text: string): Date | null {
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone, oh = '0', om = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  if (day > new Date(Date.UTC(2000, month, 0)).getUTCDate() || (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)))) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 18 || Number(om) > 59) return null;
  const iso = `${y}-${mo}-${d}T${h.padStart(2, '0')}:${mi.padStart(2, '0')}:${s.padStart(2, '0')}${text.match(/\.\d+/)?.[0] ?? ''}${zone && zone !== 'Z' ? `${zone[0]}${oh}:${om}` : 'Z'}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const utcYear = date.getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999 ? date : null;
}

/** A timestamp field: see parseInstant. */
export const IsInstant = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== null,
        defaultMessage: (args) => `${args?.property} must be an ISO 8601 date-time in the years 0001-9999, such as 2026-03-01T10:00:00Z`,
      },
    },
    options,
  );

/**
 * Optional, but not nullable: the field may be left out, and an explicit null is refused naming the
 * field (class-validator's @IsOptional lets null through to the database, where NOT NULL columns
 * turn it into a 500). Use @IsOptional only where null means something (unassign, clear).
 */
export const IsOptionalNotNull = (options?: ValidationOptions) =>
  applyDecorators(
    ValidateIf((_object, value) => value !== undefined, options),
    ValidateBy(
      {
        name: 'isNotNull',
        validator: {
          validate: (value: unknown) => value !== null,
          defaultMessage: (args) => `${args?.property} must not be null (leave it out instead)`,
        },
      },
      options,
    ),
  );

/** A name-like text that must say something: refuses '' and whitespace only (stored trimmed, it would be empty). */
export const IsNotBlank = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isNotBlank',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || value.trim().length > 0,
        defaultMessage: (args) => `${args?.property} must not be blank`,
      },
    },
    options,
  );
