/**
 * Host-side float64 linear algebra for measuring norms along a trajectory: singular values (exact, via the
 * symmetric Jacobi eigenvalue method on the smaller Gram matrix) and the Newton-Schulz quintic iteration the
 * Gluon authors used to approximate the polar factor. Matrices are row-major [rows, cols].
 */
import { NS5_COEFFICIENTS } from "../optim/polar.ts";

/** A dense row-major matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array | Float32Array;
}

/**
 * Eigenvalues (and, when asked, column eigenvectors, row-major n x n) of a symmetric n x n matrix given
 * row-major, by cyclic Jacobi rotations. The input is not modified.
 */
export function symmetricEigen(
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

/** The Gram matrix of the smaller side: A^T A (cols <= rows) or A A^T, in float64. */
function smallGram(m: Matrix): { gram: Float64Array; n: number } {
  const { rows, cols, data } = m;
  const byCols = cols <= rows;
  const n = byCols ? cols : rows;
  const len = byCols ? rows : cols;
  const gram = new Float64Array(n * n);
  const at = (i: number, k: number) => (byCols ? data[k * cols + i] : data[i * cols + k]);
  const vec = new Float64Array(n * len);
  for (let i = 0; i < n; i++) for (let k = 0; k < len; k++) vec[i * len + k] = at(i, k);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < len; k++) s += vec[i * len + k] * vec[j * len + k];
      gram[i * n + j] = s;
      gram[j * n + i] = s;
    }
  }
  return { gram, n };
}

/** Singular values in descending order (exact up to float64 rounding of the Gram matrix). */
export function singularValues(m: Matrix): Float64Array {
  const { gram, n } = smallGram(m);
  const eig = symmetricEigen(gram, n).values;
  return Float64Array.from(eig, (e) => Math.sqrt(Math.max(0, e))).sort().reverse();
}

/** Spectral norm ||A||_{2->2}. */
export function spectralNorm(m: Matrix): number {
  return singularValues(m)[0] ?? 0;
}

/** Nuclear norm ||A||_* (sum of singular values). */
export function nuclearNorm(m: Matrix): number {
  return singularValues(m).reduce((a, b) => a + b, 0);
}

function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += aip * b[p * m + j];
    }
  }
  return out;
}

/**
 * Newton-Schulz quintic approximation of the polar factor U V^T (float64, `steps` iterations, Frobenius
 * pre-normalisation with 1e-7, iterating on the wide orientation as Muon does). Singular values land
 * roughly in [0.5, 1.5] rather than at 1.
 */
export function newtonSchulz(m: Matrix, steps = 5): Matrix {
  const tall = m.rows > m.cols;
  const r = tall ? m.cols : m.rows;
  const c = tall ? m.rows : m.cols;
  let x = new Float64Array(r * c);
  let fro = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j];
      fro += v * v;
      if (tall) x[j * c + i] = v;
      else x[i * c + j] = v;
    }
  }
  const scale = 1 / (Math.sqrt(fro) + 1e-7);
  for (let i = 0; i < x.length; i++) x[i] *= scale;
  const [a, b, cc] = NS5_COEFFICIENTS;
  for (let s = 0; s < steps; s++) {
    const xt = new Float64Array(c * r);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) xt[j * r + i] = x[i * c + j];
    const A = matmul(x, xt, r, c, r);
    const A2 = matmul(A, A, r, r, r);
    const B = A.map((v, i) => b * v + cc * A2[i]);
    const BX = matmul(B, x, r, r, c);
    x = x.map((v, i) => a * v + BX[i]);
  }
  if (!tall) return { rows: m.rows, cols: m.cols, data: x };
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * m.cols + i] = x[i * c + j];
  return { rows: m.rows, cols: m.cols, data: out };
}

/** The Frobenius inner product <A, B>. */
export function inner(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

/** Nuclear norm approximated as <NS5(A), A>, as the Gluon authors computed dual norms. */
export function nuclearNormNs(m: Matrix, steps = 5): number {
  return inner(newtonSchulz(m, steps), m);
}
