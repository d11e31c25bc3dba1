/** Domain errors carry a code; the one global filter maps codes to HTTP statuses. */
export enum ErrorCode {
  NotFound = 'not_found',
  Conflict = 'conflict',
  InvalidTransition = 'invalid_transition',
  Validation = 'validation',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  RateLimited = 'rate_limited',
  Unprocessable = 'unprocessable',
}

export const ERROR_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.InvalidTransition]: 409,
  [ErrorCode.Validation]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Unprocessable]: 422,
};

export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id?: string) =>
  new DomainException(ErrorCode.NotFound, id ? `${what} ${id} not found` : `${what} not found`);
export const invalid = (field: string, problem: string) =>
  new DomainException(ErrorCode.Validation, `${field} ${problem}`, field);
export const conflict = (message: string, field?: string) => new DomainException(ErrorCode.Conflict, message, field);
export const forbidden = (message = 'You do not have access to this resource') =>
  new DomainException(ErrorCode.Forbidden, message);
