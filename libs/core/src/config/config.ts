import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The whole runtime configuration, read once from the environment and validated.
 * A missing or malformed variable stops the process with one line naming it (see loadConfigOrExit).
 */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  /** Unset = embedded PGlite served from dataDir (see libs/core/src/embedded). */
  databaseUrl: string | null;
  databaseReadUrl: string | null;
  /** Unset = BullMQ on its Postgres backend, in-memory Socket.IO adapter, one instance. */
  redisUrl: string | null;
  /** Prefix of every Redis key (queues, presence, feed); hash-tagged for Redis Cluster. */
  redisPrefix: string;
  /** Unset = mails are written to dataDir/outbox as .eml files. */
  smtpUrl: string | null;
  mailFrom: string;
  publicUrl: string;
  jwtSecret: string;
  jwtExpiresIn: string;
  adminEmail: string | null;
  adminPassword: string | null;
  dataDir: string;
  logLevel: string;
  bodyLimitBytes: number;
  /** Reconcile interval of the SLA scheduler, ms. */
  slaReconcileMs: number;
  /** After SIGTERM/SIGINT, how long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Solved tickets close after this many days. */
  autoCloseDays: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (survey rate limits, logs):
   * false (none, the default), true (any), a hop count, or a list of addresses/CIDRs.
   */
  trustProxy: boolean | number | string[];
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  }
  return raw;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function trustProxy(env: Env): AppConfig['trustProxy'] {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return int(env, 'TRUST_PROXY', 0, 1, 100);
  const list = raw.split(',').map((s) => s.trim());
  const bad = list.find((a) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a));
  if (bad !== undefined) throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of addresses/CIDRs, got "${bad}"`);
  return list;
}

/** A secret generated once and kept with the data, so local restarts keep sessions valid. */
function localSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = (env.NODE_ENV?.trim() || 'development') as AppConfig['env'];
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  }
  const production = nodeEnv === 'production';
  const port = int(env, 'PORT', 3000, 0, 65535);
  const dataDir = resolve(env.KEEPDESK_DATA_DIR?.trim() || '.keepdesk');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const databaseReadUrl = url(env, 'DATABASE_READ_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const smtpUrl = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']);
  const jwtSecret = env.JWT_SECRET?.trim() || null;
  if (production) {
    if (!jwtSecret) throw new ConfigError('JWT_SECRET is required when NODE_ENV=production');
    if (!publicUrl) throw new ConfigError('PUBLIC_URL is required when NODE_ENV=production');
    if (!smtpUrl) throw new ConfigError('SMTP_URL is required when NODE_ENV=production');
  }
  if (jwtSecret && jwtSecret.length < 16) throw new ConfigError('JWT_SECRET must be at least 16 characters');
  const adminEmail = env.ADMIN_EMAIL?.trim() || null;
  const adminPassword = env.ADMIN_PASSWORD ?? null;
  if (adminEmail && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) throw new ConfigError('ADMIN_EMAIL is not an email address');
  if (adminEmail && !adminPassword) throw new ConfigError('ADMIN_PASSWORD is required when ADMIN_EMAIL is set');
  if (adminPassword !== null && adminPassword.length < 8) throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters');
  const prefix = env.REDIS_PREFIX?.trim() || 'keepdesk';
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new ConfigError('REDIS_PREFIX may contain only letters, digits, _ . -');
  return {
    env: nodeEnv,
    port,
    databaseUrl,
    databaseReadUrl,
    redisUrl,
    redisPrefix: `{${prefix}}`,
    smtpUrl,
    mailFrom: env.MAIL_FROM?.trim() || 'Keepdesk <support@keepdesk.localhost>',
    publicUrl: (publicUrl ?? `http://localhost:${port || 3000}`).replace(/\/$/, ''),
    jwtSecret: jwtSecret ?? localSecret(dataDir),
    jwtExpiresIn: env.JWT_EXPIRES_IN?.trim() || '12h',
    adminEmail,
    adminPassword,
    dataDir,
    logLevel: env.LOG_LEVEL?.trim() || (nodeEnv === 'test' ? 'warn' : 'info'),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    slaReconcileMs: int(env, 'SLA_RECONCILE_MS', 30000, 100, 3600000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 25000, 100, 600000),
    autoCloseDays: int(env, 'AUTO_CLOSE_DAYS', 4, 0, 365),
    trustProxy: trustProxy(env),
  };
}

/** For entrypoints: one clear line and exit code 1 instead of a stack trace. */
export function loadConfigOrExit(env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`keepdesk: configuration error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
