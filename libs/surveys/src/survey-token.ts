import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Survey link tokens: `<payload>.<mac>`, base64url. The payload binds the survey and its ticket and
 * carries the expiry; the MAC (HMAC-SHA256 truncated to 128 bits) uses a key derived from the JWT
 * secret, so a token proves it was issued by this install and cannot be edited to point elsewhere.
 * Expiry is checked here and again against the survey row; "one answer" is the database's job.
 */
const VERSION = 1;
const PAYLOAD_BYTES = 1 + 16 + 16 + 4;
const MAC_BYTES = 16;

export interface SurveyTokenClaims {
  surveyId: string;
  ticketId: string;
  expiresAt: Date;
}

export type TokenCheck = { ok: true; claims: SurveyTokenClaims } | { ok: false; reason: 'forged' | 'expired'; claims?: SurveyTokenClaims };

export function deriveTokenKey(jwtSecret: string): Buffer {
  return createHmac('sha256', jwtSecret).update('keepdesk/survey-token/v1').digest();
}

const uuidBytes = (u: string) => Buffer.from(u.replace(/-/g, ''), 'hex');
const bytesUuid = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const mac = (key: Buffer, payload: Buffer) => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);

export function signSurveyToken(key: Buffer, claims: SurveyTokenClaims): string {
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload.writeUInt8(VERSION, 0);
  uuidBytes(claims.surveyId).copy(payload, 1);
  uuidBytes(claims.ticketId).copy(payload, 17);
  payload.writeUInt32BE(Math.floor(claims.expiresAt.getTime() / 1000), 33);
  return `${payload.toString('base64url')}.${mac(key, payload).toString('base64url')}`;
}

export function verifySurveyToken(key: Buffer, token: string, now = new Date()): TokenCheck {
  if (typeof token !== 'string' || token.length > 200 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'forged' };
  const [p, m] = token.split('.');
  const payload = Buffer.from(p, 'base64url');
  const given = Buffer.from(m, 'base64url');
  if (payload.length !== PAYLOAD_BYTES || given.length !== MAC_BYTES || payload.readUInt8(0) !== VERSION) return { ok: false, reason: 'forged' };
  if (!timingSafeEqual(mac(key, payload), given)) return { ok: false, reason: 'forged' };
  const claims: SurveyTokenClaims = {
    surveyId: bytesUuid(payload.subarray(1, 17)),
    ticketId: bytesUuid(payload.subarray(17, 33)),
    expiresAt: new Date(payload.readUInt32BE(33) * 1000),
  };
  if (claims.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}
