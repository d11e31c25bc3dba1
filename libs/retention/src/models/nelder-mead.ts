/**
 * Nelder–Mead simplex minimiser (Lagarias et al. 1998 coefficients).
 *
 * Why our own: the maintained JS option, `fmin@0.0.4`, ships a UMD bundle inside a
 * `"type": "module"` package, so Node's CommonJS loader (what `nest build` emits) gets an empty
 * module and the deep ESM sources would need Jest transform exceptions. The model fits here are
 * 2–4 parameters on smooth log-likelihoods, where a plain simplex with a restart is reliable and
 * fast, so ~100 lines we test directly beat wrapping a broken package.
 */

export interface NelderMeadOptions {
  /** Stop when every vertex is within this (max-norm) distance of the best one. */
  xTolerance?: number;
  /** …and every vertex value is within this of the best value. */
  fTolerance?: number;
  maxIterations?: number;
  /** Initial simplex edge along each axis (absolute, since we work in log-parameter space). */
  initialStep?: number;
  /**
   * A simplex can collapse onto a line away from the optimum; restarting from the best vertex
   * with a fresh simplex is the standard cure, and costs little when already converged.
   */
  restarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

interface Vertex {
  x: number[];
  fx: number;
}

export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const restarts = options.restarts ?? 2;
  let best = runSimplex(f, x0, options);
  let iterations = best.iterations;
  for (let i = 0; i < restarts; i++) {
    const next = runSimplex(f, best.x, options);
    iterations += next.iterations;
    const improved = next.fx < best.fx;
    if (improved) best = next;
    // A restart that cannot improve means the point is a genuine local minimum.
    if (!improved || Math.abs(best.fx - next.fx) <= (options.fTolerance ?? 1e-10)) {
      best = { ...best, converged: best.converged && next.converged };
      break;
    }
  }
  return { ...best, iterations };
}

function runSimplex(
  f: (x: number[]) => number,
  x0: number[],
  options: NelderMeadOptions,
): NelderMeadResult {
  const n = x0.length;
  const xTol = options.xTolerance ?? 1e-8;
  const fTol = options.fTolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 200 * n * n;
  const step = options.initialStep ?? 0.5;
  // Non-finite values (overflow at extreme parameters) must lose every comparison, not poison them.
  const evaluate = (x: number[]): Vertex => {
    const v = f(x);
    return { x, fx: Number.isFinite(v) ? v : Number.POSITIVE_INFINITY };
  };

  const simplex: Vertex[] = [evaluate([...x0])];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] += step;
    simplex.push(evaluate(x));
  }

  const rho = 1;
  const chi = 2;
  const psi = 0.5;
  const sigma = 0.5;
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations) {
    simplex.sort((p, q) => p.fx - q.fx);
    const bestV = simplex[0];
    let spread = 0;
    let fSpread = 0;
    for (let i = 1; i <= n; i++) {
      fSpread = Math.max(fSpread, Math.abs(simplex[i].fx - bestV.fx));
      for (let j = 0; j < n; j++) spread = Math.max(spread, Math.abs(simplex[i].x[j] - bestV.x[j]));
    }
    if (spread <= xTol && fSpread <= fTol) {
      converged = true;
      break;
    }
    iterations++;

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n;
    const worst = simplex[n];
    const along = (t: number): number[] => centroid.map((c, j) => c + t * (c - worst.x[j]));

    const reflected = evaluate(along(rho));
    if (reflected.fx < bestV.fx) {
      const expanded = evaluate(along(rho * chi));
      simplex[n] = expanded.fx < reflected.fx ? expanded : reflected;
      continue;
    }
    if (reflected.fx < simplex[n - 1].fx) {
      simplex[n] = reflected;
      continue;
    }
    // Contract outside if the reflection helped at all, inside otherwise.
    const outside = reflected.fx < worst.fx;
    const contracted = evaluate(along(outside ? rho * psi : -psi));
    if (contracted.fx < (outside ? reflected.fx : worst.fx)) {
      simplex[n] = contracted;
      continue;
    }
    for (let i = 1; i <= n; i++) {
      simplex[i] = evaluate(simplex[i].x.map((v, j) => bestV.x[j] + sigma * (v - bestV.x[j])));
    }
  }
  simplex.sort((p, q) => p.fx - q.fx);
  return { x: simplex[0].x, fx: simplex[0].fx, iterations, converged };
}
