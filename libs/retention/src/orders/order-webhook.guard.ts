import { CanActivate, ExecutionContext, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Requests signed more than this far from our clock are refused: a captured request cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export const TIMESTAMP_HEADER = 'x-keepdesk-timestamp';
export const SIGNATURE_HEADER = 'x-keepdesk-signature';

export function signOrderWebhook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * Verifies POST /api/webhooks/orders before anything else runs (guards precede the validation
 * pipe, so a forged request learns nothing about the body rules and stores nothing).
 * The secret is ORDERS_WEBHOOK_SECRET, read per request so rotating it needs no restart of logic,
 * only of the env; unset, the route is disabled (503) rather than open.
 * Replays inside the 5-minute window are harmless: the same externalId is idempotent.
 */
@Injectable()
export class OrderWebhookGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const secret = process.env.ORDERS_WEBHOOK_SECRET?.trim();
    if (!secret) throw new ServiceUnavailableException('the orders webhook is disabled: ORDERS_WEBHOOK_SECRET is not set');
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; rawBody?: Buffer }>();
    const ts = header(req.headers[TIMESTAMP_HEADER]);
    const sig = header(req.headers[SIGNATURE_HEADER]);
    if (!ts) throw new UnauthorizedException('X-Keepdesk-Timestamp header is required (unix seconds)');
    if (!sig) throw new UnauthorizedException('X-Keepdesk-Signature header is required (hex HMAC-SHA256)');
    if (!/^\d{1,12}$/.test(ts)) throw new UnauthorizedException('X-Keepdesk-Timestamp must be unix seconds');
    const skew = Math.abs(Date.now() / 1000 - Number(ts));
    if (skew > WEBHOOK_TOLERANCE_SECONDS) {
      throw new UnauthorizedException(`X-Keepdesk-Timestamp is ${Math.round(skew)} s from now (more than ${WEBHOOK_TOLERANCE_SECONDS} s): refused as a replay`);
    }
    if (!req.rawBody) throw new UnauthorizedException('X-Keepdesk-Signature cannot be checked: send the body as application/json');
    const expected = Buffer.from(signOrderWebhook(secret, ts, req.rawBody), 'hex');
    const given = /^[0-9a-fA-F]{64}$/.test(sig) ? Buffer.from(sig, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedException('X-Keepdesk-Signature does not match the body');
    }
    return true;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}
