import { nelderMead } from './nelder-mead';

describe('nelderMead', () => {
  it('finds the minimum of a shifted quadratic', () => {
    const r = nelderMead(([x, y]) => (x - 3) ** 2 + 10 * (y + 1) ** 2, [0, 0]);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(3, 6);
    expect(r.x[1]).toBeCloseTo(-1, 6);
    expect(r.fx).toBeCloseTo(0, 10);
  });

  it('solves the Rosenbrock valley', () => {
    const r = nelderMead(([x, y]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2, [-1.2, 1], { maxIterations: 5000 });
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
  });

  it('treats non-finite values as worse than anything', () => {
    const r = nelderMead(([x]) => (x < 0 ? Number.NaN : (x - 2) ** 2), [1]);
    expect(r.x[0]).toBeCloseTo(2, 6);
  });

  it('reports non-convergence when out of iterations', () => {
    const r = nelderMead(([x, y]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2, [-1.2, 1], { maxIterations: 5, restarts: 0 });
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(5);
  });
});
