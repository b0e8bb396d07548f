/** Host linear algebra: singular values against matrices built with known singular values; NS5's range. */
import assert from "node:assert/strict";
import {
  type Matrix,
  nuclearNorm,
  nuclearNormNs,
  singularValues,
  spectralNorm,
  symmetricEigenvalues,
} from "../src/smoothness/linalg.ts";
import { Rng } from "../src/trace/seeds.ts";
import { mat, newtonSchulz5, symmetricEigen } from "./helpers/linalg.ts";

/** A random n x k matrix with orthonormal columns (Gram-Schmidt on normals). */
function orthonormalColumns(n: number, k: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * q[i * k + p];
      for (let i = 0; i < n; i++) v[i] -= d * q[i * k + p];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * k + j] = v[i] / norm;
  }
  return q;
}

/** U diag(s) V^T for random U [rows, r], V [cols, r]. */
function withSingularValues(rows: number, cols: number, s: number[], rng: Rng): Matrix {
  const r = s.length;
  const u = orthonormalColumns(rows, r, rng);
  const v = orthonormalColumns(cols, r, rng);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let p = 0; p < r; p++) acc += u[i * r + p] * s[p] * v[j * r + p];
      data[i * cols + j] = acc;
    }
  }
  return { rows, cols, data };
}

for (const [rows, cols] of [[7, 4], [4, 7], [12, 12]]) {
  Deno.test(`singular values of a ${rows}x${cols} matrix built from known ones`, () => {
    const rng = new Rng(rows * 31 + cols);
    const s = Array.from({ length: Math.min(rows, cols) }, (_, i) => 3 / (i + 1));
    const m = withSingularValues(rows, cols, s, rng);
    const got = singularValues(m);
    s.forEach((want, i) => assert.ok(Math.abs(got[i] - want) < 1e-8, `sigma_${i}: ${got[i]} vs ${want}`));
    assert.ok(Math.abs(spectralNorm(m) - 3) < 1e-8);
    assert.ok(Math.abs(nuclearNorm(m) - s.reduce((a, b) => a + b)) < 1e-8);
  });
}

Deno.test("tridiagonal QL eigenvalues equal Jacobi's, also with a rank-deficient Gram matrix and a 1x1", () => {
  const rng = new Rng(11);
  for (const [n, k] of [[1, 3], [2, 2], [9, 20], [40, 60], [40, 12]]) {
    // G G^T for G [n, k]: rank min(n, k), so [40, 12] has 28 zero eigenvalues.
    const g = Float64Array.from({ length: n * k }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        for (let p = 0; p < k; p++) a[i * n + j] += g[i * k + p] * g[j * k + p];
      }
    }
    const want = symmetricEigen(mat(n, n, a)).values.sort((x, y) => x - y);
    const got = Array.from(symmetricEigenvalues(a, n)).sort((x, y) => x - y);
    const top = want[n - 1];
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-12 * top, `n ${n}, k ${k}, eig ${i}: ${got[i]} vs ${w}`));
  }
  // A matrix that is already tridiagonal, and one already diagonal, with known eigenvalues.
  const t = [2, -1, 0, -1, 2, -1, 0, -1, 2]; // eigenvalues 2 - sqrt 2, 2, 2 + sqrt 2
  const tri = Array.from(symmetricEigenvalues(t, 3)).sort((x, y) => x - y);
  [2 - Math.SQRT2, 2, 2 + Math.SQRT2].forEach((w, i) => assert.ok(Math.abs(tri[i] - w) < 1e-14, `${tri[i]} vs ${w}`));
  assert.deepEqual(Array.from(symmetricEigenvalues([3, 0, 0, -1], 2)).sort((x, y) => x - y), [-1, 3]);
});

Deno.test("NS5 maps singular values into roughly [0.5, 1.5] and keeps the singular vectors", () => {
  const rng = new Rng(9);
  const s = [5, 2, 1, 0.5, 0.2, 0.1];
  const m = withSingularValues(10, 6, s, rng);
  const o = newtonSchulz5({ ...m, data: Float64Array.from(m.data) });
  const sv = singularValues(o);
  for (const v of sv) assert.ok(v > 0.5 && v < 1.5, `NS5 singular value ${v} outside [0.5, 1.5]`);
  // <NS5(A), A> = sum_i f(s_i) s_i lies between 0.5 and 1.5 times the exact nuclear norm.
  const approx = nuclearNormNs(m);
  const exact = nuclearNorm(m);
  assert.ok(approx > 0.5 * exact && approx < 1.5 * exact, `${approx} vs ${exact}`);
  // From the singular values it equals <NS5(A), A> computed with the matrix iteration.
  let viaMatrices = 0;
  o.data.forEach((v, i) => (viaMatrices += v * m.data[i]));
  assert.ok(Math.abs(approx - viaMatrices) < 1e-10 * exact, `${approx} vs ${viaMatrices}`);
});
