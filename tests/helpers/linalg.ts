/**
 * Float64 linear algebra in plain JS for checking optimizer graphs: matrix products, the quintic
 * Newton-Schulz / Polar Express iterations written from research/papers.md §A.1, and an SVD from the
 * Jacobi eigen-decomposition of G^T G (exact polar factors, singular values, spectral and nuclear norms).
 * The coefficients are the ones the optimizers use (their values are the definition); the iterations are
 * written here independently of the graph code.
 */
import { NS5_COEFFICIENTS, POLAR_EXPRESS_COEFFICIENTS } from "../../src/optim/polar.ts";

/** A dense row-major matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A matrix from row-major data (copied). */
export function mat(rows: number, cols: number, data: ArrayLike<number>): Mat {
  if (data.length !== rows * cols) throw new Error(`mat: ${data.length} values for ${rows}x${cols}`);
  return { rows, cols, data: Float64Array.from(data) };
}

/** a @ b. */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} @ ${b.rows}x${b.cols}`);
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] += aik * b.data[k * b.cols + j];
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** a^T. */
export function transpose(a: Mat): Mat {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return { rows: a.cols, cols: a.rows, data: out };
}

/** s a + t b (elementwise). */
export function combine(s: number, a: Mat, t: number, b: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.map((x, i) => s * x + t * b.data[i]) };
}

/** Sum of a ⊙ b over all elements. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The Frobenius norm. */
export function frobenius(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** The quintic iteration X <- a X + (b A + c A^2) X, A = X X^T, on a wide matrix. */
function quintic(x0: Mat, coefficients: readonly (readonly [number, number, number])[]): Mat {
  let x = x0;
  for (const [a, b, c] of coefficients) {
    const gram = matmul(x, transpose(x));
    const poly = combine(b, gram, c, matmul(gram, gram));
    x = combine(a, x, 1, matmul(poly, x));
  }
  return x;
}

/** Runs `f` on the wide orientation of g (transposing tall matrices) and transposes back. */
function wide(g: Mat, f: (x: Mat) => Mat): Mat {
  return g.rows > g.cols ? transpose(f(transpose(g))) : f(g);
}

/** Keller Jordan's NS5: X0 = G / (||G||_F + 1e-7), (3.4445, -4.7750, 2.0315) each step. */
export function newtonSchulz5(g: Mat, steps = 5): Mat {
  return wide(g, (x) => {
    const s = 1 / (frobenius(x.data) + 1e-7);
    return quintic(combine(s, x, 0, x), Array(steps).fill(NS5_COEFFICIENTS));
  });
}

/** The Polar Express triples of each step, divided by 1.01, the last one repeated. */
export function polarExpressCoefficients(steps: number): [number, number, number][] {
  return Array.from(
    { length: steps },
    (_, i) => POLAR_EXPRESS_COEFFICIENTS[Math.min(i, POLAR_EXPRESS_COEFFICIENTS.length - 1)].map((v) => v / 1.01) as [number, number, number],
  );
}

/** Polar Express: X0 = G / (1.01 ||G||_F), then the per-step triples. */
export function polarExpress(g: Mat, steps = 5): Mat {
  return wide(
    g,
    (x) => quintic(combine(1 / (1.01 * frobenius(x.data)), x, 0, x), polarExpressCoefficients(steps)),
  );
}

/** What the quintic steps do to one singular value s of the normalised matrix. */
export function quinticScalar(
  s: number,
  coefficients: readonly (readonly [number, number, number])[],
): number {
  return coefficients.reduce((x, [a, b, c]) => a * x + b * x ** 3 + c * x ** 5, s);
}

/**
 * Eigenvalues (and, when asked, column eigenvectors, row-major n x n) of a symmetric n x n matrix given
 * row-major, by cyclic Jacobi rotations. The input is not modified.
 */
function jacobiEigen(
  input: ArrayLike<number>,
  n: number,
  withVectors = false,
  tol = 1e-14,
): { values: Float64Array; vectors: Float64Array | null } {
  const a = Float64Array.from(input);
  const v = withVectors ? new Float64Array(n * n) : null;
  if (v) for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const rotate = (m: Float64Array, i: number, j: number, c: number, s: number) => {
    const x = m[i];
    const y = m[j];
    m[i] = c * x - s * y;
    m[j] = s * x + c * y;
  };
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= tol * tol * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) rotate(a, k * n + p, k * n + q, c, s);
        for (let k = 0; k < n; k++) rotate(a, p * n + k, q * n + k, c, s);
        if (v) for (let k = 0; k < n; k++) rotate(v, k * n + p, k * n + q, c, s);
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: values and column eigenvectors. */
export function symmetricEigen(a: Mat): { values: number[]; vectors: Mat } {
  const { values, vectors } = jacobiEigen(a.data, a.rows, true, 1e-16);
  return { values: Array.from(values), vectors: { rows: a.rows, cols: a.rows, data: vectors! } };
}

/** Singular values (descending) and the exact polar factor U V^T of a full-rank matrix. */
export function svdPolar(g: Mat): { singular: number[]; polar: Mat } {
  return g.rows < g.cols ? transposeResult(svdPolar(transpose(g))) : tallSvd(g);
}

function transposeResult(r: { singular: number[]; polar: Mat }) {
  return { singular: r.singular, polar: transpose(r.polar) };
}

/** For rows >= cols: G^T G = V S^2 V^T, polar = G V S^-1 V^T. */
function tallSvd(g: Mat): { singular: number[]; polar: Mat } {
  const { values, vectors } = symmetricEigen(matmul(transpose(g), g));
  const n = g.cols;
  const s = values.map((x) => Math.sqrt(Math.max(x, 0)));
  const vsInv = { rows: n, cols: n, data: vectors.data.map((x, i) => x / s[i % n]) };
  const polar = matmul(matmul(g, vsInv), transpose(vectors));
  return { singular: [...s].sort((a, b) => b - a), polar };
}
