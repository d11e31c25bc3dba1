import { ArgumentMetadata, BadRequestException, ParseUUIDPipe, Param, ValidationError, ValidationPipe } from '@nestjs/common';

function flatten(errors: ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  const out: { field: string; messages: string[] }[] = [];
  for (const e of errors) {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    if (e.constraints) {
      const messages = Object.values(e.constraints).map((m) =>
        // class-validator says "property x should not exist"; name the field the same way everywhere.
        m.startsWith(`property ${e.property} `) ? `${field} ${m.slice(`property ${e.property} `.length)}` : m.replace(e.property, field),
      );
      out.push({ field, messages });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/** The field of the first string holding U+0000 (Postgres text cannot store it), or null. */
export function fieldWithNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (!value || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const field = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    const found = fieldWithNul(v, field);
    if (found !== null) return found;
  }
  return null;
}

/** Refuses NUL characters, naming the field, before class-validator runs: the write would fail later. */
class KeepdeskValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const field = fieldWithNul(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
    if (field !== null) {
      const message = `${field || metadata.type} must not contain NUL characters`;
      throw new BadRequestException({ message, errors: [{ field: field || metadata.type, messages: [message] }] });
    }
    return super.transform(value, metadata);
  }
}

/** Whitelist + unknown fields rejected + NUL characters refused + per-field messages that name the field. */
export function createValidationPipe(): ValidationPipe {
  return new KeepdeskValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const message = fields.length ? fields.map((f) => f.messages.join(', ')).join('; ') : 'body is invalid';
      return new BadRequestException({ message, errors: fields });
    },
  });
}

/** A UUID path parameter whose error names the parameter. */
export const UuidParam = (name: string) =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) }));
