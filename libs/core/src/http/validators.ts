import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';
import { DateTime } from 'luxon';

// The shapes JavaScript, Postgres and luxon all read alike: a date, or date and time (T or a space; hours 00–23),
// seconds and fraction optional, Z or a ±hh[:mm] offset optional. (ISO week and ordinal dates, bare
// years and the like are ISO 8601 too, but Postgres would read them differently or not at all.)
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:[T ](?:[01]\d|2[0-3]):\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const inStorableYears = (dt: DateTime) => dt.year >= 1 && dt.year <= 9999;

/**
 * An ISO 8601 date or date-time that names a real moment Postgres can store: calendar dates only
 * (no February 30; luxon checks the calendar), offsets up to ±18:00, and the year 0001–9999 both as
 * written and in UTC (JavaScript would turn year 0 or 10000 into text Postgres refuses). A bare date
 * is midnight UTC; a date-time without an offset is read as UTC. Null when it is none of that.
 */
export function parseInstant(text: string): Date | null {
  if (!ISO_INSTANT.test(text)) return null;
  const dt = DateTime.fromISO(text.replace(' ', 'T'), { zone: 'utc', setZone: true });
  if (!dt.isValid || Math.abs(dt.offset) > 18 * 60 || !inStorableYears(dt) || !inStorableYears(dt.toUTC())) return null;
  return dt.toJSDate();
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
