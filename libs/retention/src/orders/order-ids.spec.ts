import { uuidV7s } from './order-ids';

describe('uuidV7s', () => {
  it('makes distinct version-7, RFC-variant UUIDs carrying the time', () => {
    const now = Date.parse('2026-12-03T04:00:00.123Z');
    const ids = uuidV7s(1000, now);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    }
  });

  it('sorts by time across milliseconds', () => {
    const [a] = uuidV7s(1, 1_000_000);
    const [b] = uuidV7s(1, 1_000_001);
    expect(a < b).toBe(true);
  });
});
