import { ConfigError, loadConfig } from './config';

const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), KEEPDESK_DATA_DIR: '/tmp/keepdesk-config-spec' };

describe('loadConfig', () => {
  it('trusts no proxy unless told', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it.each([
    ['true', true],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7,::1', ['10.0.0.0/8', '192.168.1.7', '::1']],
  ])('TRUST_PROXY=%s', (raw, expected) => {
    expect(loadConfig({ ...base, TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it.each([
    ['yes please', 'TRUST_PROXY must be true, false, a hop count or a comma-separated list of addresses/CIDRs, got "yes please"'],
    ['0', 'TRUST_PROXY must be between 1 and 100, got 0'],
    ['PORT=http', 'TRUST_PROXY must be true, false, a hop count or a comma-separated list of addresses/CIDRs, got "PORT=http"'],
  ])('refuses TRUST_PROXY=%s with one line naming it', (raw, message) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: raw })).toThrow(new ConfigError(message));
  });

  it('names the variable that is malformed', () => {
    expect(() => loadConfig({ ...base, PORT: 'eighty' })).toThrow(new ConfigError('PORT must be a whole number, got "eighty"'));
    expect(() => loadConfig({ ...base, SHUTDOWN_TIMEOUT_MS: '25s' })).toThrow(/^SHUTDOWN_TIMEOUT_MS must be a whole number/);
    expect(loadConfig({ ...base, SHUTDOWN_TIMEOUT_MS: '5000' }).shutdownTimeoutMs).toBe(5000);
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://x' })).toThrow(new ConfigError('DATABASE_URL must start with postgres:// or postgresql://'));
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: '' })).toThrow(new ConfigError('JWT_SECRET is required when NODE_ENV=production'));
  });
});
