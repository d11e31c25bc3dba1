import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DomainException, ERROR_STATUS } from './domain.exception';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: { field: string; messages: string[] }[];
}

/**
 * The one place errors become HTTP: SPEC's `{statusCode, error, message}` for every 4xx,
 * and a bare 500 (logged with its stack) for anything unexpected.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const reply = host.switchToHttp().getResponse();
    const body = toErrorBody(exception);
    // Validation should have caught it: worth a look, though the client already has its 400.
    if (dataError(exception)) this.logger.warn(`a data error reached the database: ${(exception as Error).message}`);
    if (body.statusCode >= 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (typeof reply.status === 'function' && typeof reply.send === 'function') {
      reply.status(body.statusCode).send(body);
    } else if (reply.raw) {
      reply.raw.statusCode = body.statusCode;
      reply.raw.end(JSON.stringify(body));
    }
  }
}

function body(statusCode: number, message: string, extra?: Partial<ErrorBody>): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...extra };
}

/**
 * A Postgres data exception (class 22: invalid text, out-of-range number or date, bad encoding) is
 * the input's fault, not ours. Validation refuses such input before any query; this is the last
 * line of defence, so a value that slips through is a 400 rather than a 500.
 */
function dataError(exception: unknown): string | null {
  const e = exception as { name?: string; driverError?: { code?: unknown }; code?: unknown; message?: string } | null;
  if (!e || typeof e !== 'object' || e.name !== 'QueryFailedError') return null;
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' && code.startsWith('22') ? (e.message ?? 'invalid value') : null;
}

const UNSUPPORTED_TYPE = 'body: unsupported content type; send application/json';

export function toErrorBody(exception: unknown): ErrorBody {
  const data = dataError(exception);
  if (data) return body(400, `a value in the request cannot be stored: ${data}`);
  if (exception instanceof DomainException) return body(ERROR_STATUS[exception.code], exception.message);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 415 && exception.message === STATUS_CODES[415]) return body(415, UNSUPPORTED_TYPE);
    const res = exception.getResponse() as string | { message?: string | string[]; errors?: ErrorBody['errors'] };
    if (typeof res === 'string') return body(status, res);
    const message = Array.isArray(res.message) ? res.message.join('; ') : (res.message ?? exception.message);
    return body(status, message, res.errors ? { errors: res.errors } : undefined);
  }
  // Fastify's own errors (body parsing, size limit, media type) carry a 4xx statusCode and a code.
  const err = exception as { statusCode?: number; code?: string; message?: string };
  if (err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return body(413, 'body is larger than the allowed limit');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return body(415, UNSUPPORTED_TYPE);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return body(400, 'body: a JSON body was declared but is empty');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case undefined:
      default:
        if (err instanceof SyntaxError || /JSON/i.test(err.message ?? '')) {
          return body(400, `body is not valid JSON: ${err.message}`);
        }
        return body(err.statusCode, err.message ?? 'Bad request');
    }
  }
  if (exception instanceof SyntaxError) return body(400, `body is not valid JSON: ${exception.message}`);
  return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
}
