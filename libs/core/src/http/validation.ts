import { BadRequestException, ParseUUIDPipe, Param, ValidationError, ValidationPipe } from '@nestjs/common';

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

/** Whitelist + unknown fields rejected + per-field messages that name the field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
