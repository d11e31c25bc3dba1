import { ArgumentMetadata, BadRequestException, ParseUUIDPipe, Param, UnsupportedMediaTypeException, ValidationError, ValidationPipe } from '@nestjs/common';
import { Readable } from 'node:stream';

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

/** How deep objects and arrays may nest in a request (the DTOs here use 4 at most). */
export const MAX_INPUT_DEPTH = 32;

export interface InputProblem {
  field: string;
  message: string;
}

// A surrogate half without its partner: not valid UTF-16, so neither JSON-encodable text nor
// anything Postgres (UTF-8) can store.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must not contain lone UTF-16 surrogates (invalid Unicode)';
  return null;
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  if (Array.isArray(v)) return true;
  if (!v || typeof v !== 'object') return false;
  // Parsed JSON, or a query string / form (fast-querystring's objects inherit from a null-prototype
  // object); Buffers, streams, Dates and class instances are not request text.
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The first field (in document order) that Postgres could not store or that nests too deeply:
 * a string with U+0000 or a lone surrogate (in a value or a key), or objects/arrays nested more
 * than `maxDepth` levels. Iterative, so a hostile body cannot overflow the stack.
 * `root` names the top (a path parameter's name; '' for a body or query).
 */
export function findInputProblem(value: unknown, root = '', maxDepth = MAX_INPUT_DEPTH): InputProblem | null {
  const stack: { value: unknown; field: string; depth: number }[] = [{ value, field: root, depth: 0 }];
  while (stack.length) {
    const { value: v, field, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) return { field, message: problem };
      continue;
    }
    if (!isContainer(v)) continue;
    if (depth >= maxDepth) return { field, message: `nests objects or arrays deeper than ${maxDepth} levels` };
    const entries = Object.entries(v);
    // Pushed in reverse so entries pop in document order: the first bad field is the one named.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i];
      const childField = Array.isArray(v) ? `${field}[${k}]` : field ? `${field}.${k}` : k;
      const keyProblem = Array.isArray(v) ? null : stringProblem(k);
      if (keyProblem) return { field: childField, message: `name ${keyProblem}` };
      stack.push({ value: child, field: childField, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Refuses what Postgres cannot store (NUL, lone surrogates) and absurd nesting, naming the field,
 * before class-validator runs: the write would fail later, and deep nesting would exhaust the stack.
 */
class KeepdeskValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    // The order import registers stream parsers for NDJSON and CSV app-wide; anywhere else such a
    // body arrives as a request stream, which class-transformer would walk into the socket and
    // abort the process (a native assertion, not even an exception).
    if (metadata.type === 'body' && value instanceof Readable) {
      throw new UnsupportedMediaTypeException();
    }
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      // A single named parameter (@Param('id'), @Query('score')) is named by itself.
      const problem = findInputProblem(value, metadata.type !== 'body' ? (metadata.data ?? '') : '');
      if (problem) {
        // A top-level array's elements read as body[0], not [0].
        const field = !problem.field || problem.field.startsWith('[') ? `${metadata.type}${problem.field}` : problem.field;
        const message = `${field} ${problem.message}`;
        throw new BadRequestException({ message, errors: [{ field, messages: [message] }] });
      }
    }
    // A DTO body that is a string, number, boolean, null or array (class-validator would say
    // "Validation failed (object is expected)").
    if (metadata.type === 'body' && value !== undefined && this.toValidate(metadata) && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      const message = 'body must be a JSON object (sent as application/json)';
      throw new BadRequestException({ message, errors: [{ field: 'body', messages: [message] }] });
    }
    return super.transform(value, metadata);
  }
}

/** Whitelist + unknown fields rejected + unstorable text and deep nesting refused + per-field messages that name the field. */
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
