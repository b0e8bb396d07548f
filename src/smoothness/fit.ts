/**
 * The hinge-penalised (L0, L1) fit of Gluon's layer-wise smoothness check (research/papers.md §B.3).
 *
 * Given points x_k = ||g^{k+1}||_* and y_k = L̂[k], it solves exactly
 *
 *   min_{L0, L1 >= lb}  Σ_k (L1 x_k + L0 - y_k)² + λ Σ_k max(0, y_k - (L1 x_k + L0))²,
 *
 * the problem the authors' notebooks hand to scipy's L-BFGS-B. The objective is a strictly convex,
 * continuously differentiable, piecewise quadratic function of (L0, L1): on each cell of the plane where
 * the set of points above the line is fixed, it is a weighted least-squares problem (weight 1 + λ above
 * the line, 1 on or below it) with a closed-form minimiser.
 *
 * Method: Newton steps over those cells with an exact line search. From the current point, take the
 * closed-form minimiser of the current cell's quadratic; if every point's side of that line agrees with
 * the weights used, it is the global minimiser; otherwise minimise the objective exactly along the segment
 * towards it (a one-dimensional piecewise quadratic, solved by bisection over its breakpoints and a closed
 * form between them) and repeat. If the unconstrained minimiser violates a bound, the constrained one lies
 * on the boundary of the feasible quadrant, so it is the better of the two edge minimisers (L1 = lb with
 * L0 free, L0 = lb with L1 free), each again an exact one-dimensional problem.
 */

/** Options of {@link fitL0L1}. */
export interface FitOptions {
  /** Extra weight on the squared residuals of points above the line (λ >= 0; the authors use 5). */
  lambda?: number;
  /** Lower bound on both L0 and L1 (the authors use 1e-6, so "L0 = 0" in their output means 1e-6). */
  lowerBound?: number;
  /** Drop the first point, as the authors' Euclidean-norm and full-batch head fits do. */
  dropFirst?: boolean;
}

/** The fitted line L̂ ≈ L0 + L1·x and how well it describes the points. */
export interface L0L1Fit {
  /** Intercept L0 (>= the lower bound). */
  L0: number;
  /** Slope L1 (>= the lower bound). */
  L1: number;
  /** Mean squared relative residual, mean(((y - (L0 + L1 x)) / y)²): the authors' MSE_rel. */
  mseRel: number;
  /** Fraction of points strictly above the line, y > L0 + L1 x (where the fitted bound is violated). */
  above: number;
  /** Number of points fitted (after dropFirst). */
  n: number;
  /** The minimised objective value. */
  objective: number;
}

/** A candidate line (intercept, slope). */
interface Line {
  L0: number;
  L1: number;
}

/** Newton steps allowed before the solver reports a failure; each step changes the active cell. */
const MAX_NEWTON_STEPS = 200;

/**
 * Fits L0 and L1 >= lowerBound to the points (x, y) by hinge-penalised least squares, solved exactly.
 * Requires at least two distinct x values (otherwise the slope is not determined) and finite numbers.
 */
export function fitL0L1(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: FitOptions = {},
): L0L1Fit {
  const { lambda = 5, lowerBound = 1e-6, dropFirst = false } = options;
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new Error(`fitL0L1: lambda must be a finite number >= 0, got ${lambda}`);
  }
  if (!Number.isFinite(lowerBound)) {
    throw new Error(`fitL0L1: lowerBound must be a finite number, got ${lowerBound}`);
  }
  const [xs, ys] = checkedPoints(x, y, dropFirst);
  const free = minimiseUnbounded(xs, ys, lambda);
  let line = free;
  if (free.L0 < lowerBound || free.L1 < lowerBound) {
    const slopeAtBound: Line = {
      L1: lowerBound,
      L0: Math.max(
        lowerBound,
        minimiseAlongLine(ys.map((yk, k) => yk - lowerBound * xs[k]), ones(xs.length), lambda),
      ),
    };
    const interceptAtBound: Line = {
      L0: lowerBound,
      L1: Math.max(lowerBound, minimiseAlongLine(ys.map((yk) => yk - lowerBound), xs, lambda)),
    };
    line = objective(xs, ys, slopeAtBound, lambda) <= objective(xs, ys, interceptAtBound, lambda)
      ? slopeAtBound
      : interceptAtBound;
  }
  return summarise(xs, ys, line, lambda);
}

/** Validates and copies the points, dropping the first one when asked. */
function checkedPoints(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  dropFirst: boolean,
): [Float64Array, Float64Array] {
  if (x.length !== y.length) {
    throw new Error(`fitL0L1: x and y must have the same length, got ${x.length} and ${y.length}`);
  }
  const start = dropFirst ? 1 : 0;
  const xs = Float64Array.from({ length: Math.max(0, x.length - start) }, (_, k) => x[k + start]);
  const ys = Float64Array.from({ length: xs.length }, (_, k) => y[k + start]);
  for (let k = 0; k < xs.length; k++) {
    if (!Number.isFinite(xs[k]) || !Number.isFinite(ys[k])) {
      throw new Error(
        `fitL0L1: point ${k + start} is not finite (x = ${xs[k]}, y = ${
          ys[k]
        }); remove non-finite estimates first`,
      );
    }
  }
  if (xs.length < 2 || xs.every((xk) => xk === xs[0])) {
    throw new Error(
      `fitL0L1: need at least two points with distinct x to fit a line, got ${xs.length} point(s)` +
        (xs.length >= 2 ? ` all at x = ${xs[0]}` : ""),
    );
  }
  return [xs, ys];
}

/** The unconstrained minimiser over the whole plane, by Newton steps with exact line search. */
function minimiseUnbounded(xs: Float64Array, ys: Float64Array, lambda: number): Line {
  let current = weightedLine(xs, ys, ones(xs.length));
  for (let step = 0; step < MAX_NEWTON_STEPS; step++) {
    const above = pointsAbove(xs, ys, current);
    const target = weightedLine(xs, ys, above.map((isAbove) => 1 + lambda * isAbove));
    if (sidesAgree(xs, ys, target, above)) return target;
    const residual = xs.map((xk, k) => ys[k] - current.L1 * xk - current.L0);
    const direction = xs.map((xk) => (target.L1 - current.L1) * xk + (target.L0 - current.L0));
    const t = minimiseAlongLine(residual, direction, lambda);
    current = {
      L0: current.L0 + t * (target.L0 - current.L0),
      L1: current.L1 + t * (target.L1 - current.L1),
    };
  }
  throw new Error(
    `fitL0L1: no exact minimiser after ${MAX_NEWTON_STEPS} Newton steps on ${xs.length} points; ` +
      `check the data for extreme magnitudes`,
  );
}

/** Per point, 1 if it lies strictly above the line (its objective weight is then 1 + λ), else 0. */
function pointsAbove(xs: Float64Array, ys: Float64Array, line: Line): Float64Array {
  return xs.map((xk, k) => (ys[k] - line.L1 * xk - line.L0 > 0 ? 1 : 0));
}

/** Closed-form weighted least-squares line (centred, for conditioning). */
function weightedLine(xs: Float64Array, ys: Float64Array, weights: Float64Array): Line {
  let sw = 0, sx = 0, sy = 0;
  for (let k = 0; k < xs.length; k++) {
    sw += weights[k];
    sx += weights[k] * xs[k];
    sy += weights[k] * ys[k];
  }
  const mx = sx / sw, my = sy / sw;
  let sxy = 0, sxx = 0;
  for (let k = 0; k < xs.length; k++) {
    sxy += weights[k] * (xs[k] - mx) * (ys[k] - my);
    sxx += weights[k] * (xs[k] - mx) ** 2;
  }
  const L1 = sxy / sxx;
  return { L1, L0: my - L1 * mx };
}

/**
 * Whether each point lies on the side of `line` that `above` assumes (up to rounding): then the line is a
 * stationary point of the objective and, by convexity, its minimiser.
 */
function sidesAgree(xs: Float64Array, ys: Float64Array, line: Line, above: Float64Array): boolean {
  let scale = 0;
  for (let k = 0; k < xs.length; k++) scale = Math.max(scale, Math.abs(ys[k]), Math.abs(line.L1 * xs[k]));
  const tolerance = 1e-12 * (scale + Math.abs(line.L0));
  for (let k = 0; k < xs.length; k++) {
    const residual = ys[k] - line.L1 * xs[k] - line.L0;
    if (above[k] ? residual < -tolerance : residual > tolerance) return false;
  }
  return true;
}

/**
 * The exact minimiser over t of Σ_k φ(c_k - s_k t) with φ(r) = (1 + λ[r > 0]) r². The derivative is
 * continuous and monotone with kinks at t = c_k / s_k: bisect over the sorted kinks for the interval where
 * it changes sign, then solve the quadratic of that interval in closed form.
 */
function minimiseAlongLine(c: Float64Array, s: Float64Array, lambda: number): number {
  const crossings = Array.from(c, (ck, k) => ck / s[k]).filter((_, k) => s[k] !== 0);
  const kinks = [...new Set(crossings)].sort((a, b) => a - b);
  const descentAt = (t: number): number => {
    let sum = 0;
    for (let k = 0; k < c.length; k++) {
      const r = c[k] - s[k] * t;
      sum += s[k] * r * (r > 0 ? 1 + lambda : 1);
    }
    return sum;
  };
  let lo = 0, hi = kinks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (descentAt(kinks[mid]) <= 0) hi = mid;
    else lo = mid + 1;
  }
  const left = lo > 0 ? kinks[lo - 1] : -Infinity;
  const right = lo < kinks.length ? kinks[lo] : Infinity;
  const probe = Number.isFinite(left) && Number.isFinite(right)
    ? (left + right) / 2
    : Number.isFinite(right)
    ? right - Math.max(1, Math.abs(right))
    : left + Math.max(1, Math.abs(left));
  let num = 0, den = 0;
  for (let k = 0; k < c.length; k++) {
    const w = c[k] - s[k] * probe > 0 ? 1 + lambda : 1;
    num += w * s[k] * c[k];
    den += w * s[k] * s[k];
  }
  return Math.min(right, Math.max(left, num / den));
}

/** The fit objective Σ (1 + λ[r > 0]) r² with r = y - (L0 + L1 x). */
function objective(xs: Float64Array, ys: Float64Array, line: Line, lambda: number): number {
  let sum = 0;
  for (let k = 0; k < xs.length; k++) {
    const r = ys[k] - line.L1 * xs[k] - line.L0;
    sum += r * r * (r > 0 ? 1 + lambda : 1);
  }
  return sum;
}

/** The fit result for a chosen line. */
function summarise(xs: Float64Array, ys: Float64Array, line: Line, lambda: number): L0L1Fit {
  let relSq = 0, above = 0;
  for (let k = 0; k < xs.length; k++) {
    const predicted = line.L0 + line.L1 * xs[k];
    relSq += ((ys[k] - predicted) / ys[k]) ** 2;
    if (ys[k] > predicted) above++;
  }
  return {
    L0: line.L0,
    L1: line.L1,
    mseRel: relSq / xs.length,
    above: above / xs.length,
    n: xs.length,
    objective: objective(xs, ys, line, lambda),
  };
}

/** An all-ones weight vector. */
function ones(n: number): Float64Array {
  return new Float64Array(n).fill(1);
}
