import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one signing scheme of Keepdesk webhooks, in and out (SPEC: `X-Keepdesk-Signature` = hex
 * HMAC-SHA256 of `timestamp + "." + raw body`, `X-Keepdesk-Timestamp` in Unix seconds). Binding the
 * timestamp lets receivers reject replays older than their tolerance.
 */
export const SIGNATURE_HEADER = 'x-keepdesk-signature';
export const TIMESTAMP_HEADER = 'x-keepdesk-timestamp';

export function signPayload(secret: string, timestamp: number | string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Constant-time check; false for malformed input, stale timestamps or a wrong signature. */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string | Buffer,
  signature: string | undefined,
  opts: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), 'hex'));
}
