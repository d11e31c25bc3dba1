import { randomUUID } from 'node:crypto';
import { inHoldout } from './holdout';

describe('inHoldout', () => {
  it('is deterministic per run and customer', () => {
    const id = randomUUID();
    expect(inHoldout('run-1', id, 50)).toBe(inHoldout('run-1', id, 50));
  });

  it('puts about the configured share in the holdout', () => {
    let n = 0;
    for (let i = 0; i < 20000; i++) if (inHoldout('run-x', `c${i}`, 20)) n++;
    expect(n / 20000).toBeGreaterThan(0.19);
    expect(n / 20000).toBeLessThan(0.21);
  });

  it('honours 0% and 100%', () => {
    expect(inHoldout('r', 'c', 0)).toBe(false);
    expect(inHoldout('r', 'c', 100)).toBe(true);
  });
});
