import { Inject, Injectable } from '@nestjs/common';
import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, AppConfig, Role, ROLES } from '@keepdesk/core';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TokenClaims {
  sub: string;
  role: Role;
}

/** JWTs for agents (HS256 with JWT_SECRET) and the API-key format for integrations. */
@Injectable()
export class AuthTokens {
  // A KeyObject once, instead of jsonwebtoken turning the string secret into one on every call.
  private readonly key: KeyObject;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.key = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
  }

  sign(claims: TokenClaims): string {
    return jwt.sign(claims, this.key, { algorithm: 'HS256', expiresIn: this.config.jwtExpiresIn as jwt.SignOptions['expiresIn'] });
  }

  /** The claims, or null for a forged, expired or malformed token. */
  verify(token: string): TokenClaims | null {
    try {
      const c = jwt.verify(token, this.key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      // Signed by us, but still checked: a subject that is no UUID would reach the users query (a 500).
      if (typeof c.sub !== 'string' || !UUID.test(c.sub) || !ROLES.includes(c.role)) return null;
      return { sub: c.sub, role: c.role as Role };
    } catch {
      return null;
    }
  }
}

export const API_KEY_PREFIX = 'kd_';

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys carry 256 random bits, so a plain sha256 is a safe, constant-time-enough index. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
