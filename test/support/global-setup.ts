import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMigratedDatabase } from '../../migrations/scratch-database';

/**
 * One fresh database per run, built from the migrations (never synchronize), and a Redis key
 * prefix of its own, so runs never see each other's data. Test processes inherit this env.
 */
export default async function globalSetup(): Promise<void> {
  const name = `keepdesk_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const url = await createMigratedDatabase(name);
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: url,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `kdtest-${randomBytes(4).toString('hex')}`,
    JWT_SECRET: randomBytes(24).toString('hex'),
    ADMIN_EMAIL: 'admin@test.keepdesk',
    ADMIN_PASSWORD: 'admin-password',
    PUBLIC_URL: 'http://localhost:3000',
    KEEPDESK_DATA_DIR: mkdtempSync(join(tmpdir(), 'keepdesk-test-')),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    KEEPDESK_TEST_DB: name,
  });
}
