/**
 * Norms, polar factors and spectral norms of src/optim, run as float64 graphs on the native backend and
 * checked against independent float64 JS (tests/helpers/linalg.ts) on random matrices and shapes.
 */
import assert from "node:assert/strict";
import { exportOnnx, Graph, type Tensor } from "../src/graph/mod.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { Program } from "../src/runtime/program.ts";
import { Rng } from "../src/trace/seeds.ts";
import { isSpectral, type Layout, makeNorm, NORM_NAMES, type NormName, NORMS } from "../src/optim/norms.ts";
import { NS5_COEFFICIENTS, polarFactors, type PolarOptions } from "../src/optim/polar.ts";
import { spectralNorms } from "../src/optim/power.ts";
import { inner } from "../src/optim/tensor_math.ts";
import {
  type Mat,
  mat,
  newtonSchulz5,
  polarExpress,
  polarExpressCoefficients,
  quinticScalar,
  svdPolar,
} from "./helpers/linalg.ts";

const NS5: PolarOptions = { method: "ns5", steps: 5 };
const NS5_COEFFS = Array(5).fill(NS5_COEFFICIENTS);
const POWER_ITERATIONS = 32;
/**
 * Power iteration returns a lower bound of ||X||_2 whose expected relative error is at most about
 * 0.871 ln(r) / k in the square, half that in the norm (src/optim/power.ts); these seeded matrices sit
 * inside that bound.
 */
const powerTolerance = (rows: number, cols: number) =>
  (0.5 * 0.871 * Math.log(Math.min(rows, cols))) / POWER_ITERATIONS;

/**
 * Agreement of graph and JS quintic iterations in float64. ORT's MatMulScaleFusion folds the scalar
 * coefficients into FusedMatMul's float32 `alpha` attribute (a 5e-8 relative change of each coefficient),
 * which the iteration carries to about 1e-6 of the largest entry (Polar Express's larger coefficients) in
 * 5 to 8 steps; float32 graphs are unaffected beyond their own rounding.
 */
const NS_RTOL = 1e-5;

const rng = new Rng(2024);
const normals = (n: number) => Float64Array.from({ length: n }, () => rng.normal());
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Builds a float64 graph from named inputs and runs it once on native. */
async function run(
  inputs: Record<string, { shape: number[]; data: Float64Array }>,
  build: (x: Record<string, Tensor>) => Record<string, Tensor>,
): Promise<Record<string, Float64Array>> {
  const g = new Graph("float64");
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([name, v]) => [name, g.input(name, v.shape)]),
  );
  const program = await Program.load(await openBackend("native", { threads: 1 }), exportOnnx(build(tensors)));
  try {
    const out = await program.runToHost(
      Object.fromEntries(Object.entries(inputs).map(([n, v]) => [n, v.data])),
    );
    return out as Record<string, Float64Array>;
  } finally {
    await program.release();
  }
}

/** The matrix view [shape[0], rest] of flat data. */
const asMat = (shape: readonly number[], data: ArrayLike<number>): Mat =>
  mat(shape[0], size(shape) / shape[0], data);

/** Independent dual and primal norms in JS, written from the norm definitions (src/optim/norms.ts header). */
function reference(
  name: NormName,
  shape: number[],
  layout: Layout,
  adam?: { m: Float64Array; v: Float64Array; eps: number },
) {
  const [r, c] = [shape[0], size(shape) / shape[0]];
  // Norms of the input-index slices ("columns" of the [out, in] view) and output-index slices ("rows").
  const slice = (x: ArrayLike<number>, byRow: boolean) =>
    Array.from(
      { length: byRow ? r : c },
      (_, i) =>
        Math.sqrt(
          Array.from({ length: byRow ? c : r }, (_, j) => (byRow ? x[i * c + j] : x[j * c + i]) ** 2).reduce(
            (a, b) => a + b,
            0,
          ),
        ),
    );
  const inputSlices = (x: ArrayLike<number>) => slice(x, layout === "in_out");
  const outputSlices = (x: ArrayLike<number>) => slice(x, layout === "out_in");
  const [dOut, dIn] = layout === "out_in" ? [r, c] : [c, r];
  const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
  const maxAbs = (xs: ArrayLike<number>) => Math.max(...Array.from(xs, Math.abs));
  const l2 = (xs: ArrayLike<number>) => Math.sqrt(sum(Array.from(xs, (x) => x * x)));
  const n = size(shape);
  switch (name) {
    case "colnorm":
      return {
        dual: (g: Float64Array) => Math.sqrt(dOut) * sum(inputSlices(g)),
        primal: (x: Float64Array) => Math.max(...inputSlices(x)) / Math.sqrt(dOut),
      };
    case "rownorm":
      return {
        dual: (g: Float64Array) => sum(outputSlices(g)) / Math.sqrt(dIn),
        primal: (x: Float64Array) => Math.max(...outputSlices(x)) * Math.sqrt(dIn),
      };
    case "sign":
      return {
        dual: (g: Float64Array) => sum(Array.from(g, Math.abs)) / dIn,
        primal: (x: Float64Array) => dIn * maxAbs(x),
      };
    case "linfty":
      return { dual: (g: Float64Array) => sum(Array.from(g, Math.abs)), primal: maxAbs };
    case "bias_rms":
      return {
        dual: (g: Float64Array) => Math.sqrt(n) * l2(g),
        primal: (x: Float64Array) => l2(x) / Math.sqrt(n),
      };
    case "euclidean":
      return { dual: l2, primal: l2 };
    case "adam_infty": {
      const w = adam!.m.map((m, i) => Math.abs(m) / (Math.sqrt(adam!.v[i]) + adam!.eps));
      return {
        dual: (g: Float64Array) => sum(g.map((x, i) => Math.abs(x) * w[i])),
        primal: (x: Float64Array) => Math.max(...x.map((v, i) => Math.abs(v) / w[i])),
      };
    }
    case "adam_2": {
      const d = adam!.v.map((v) => Math.sqrt(v) + adam!.eps);
      return {
        dual: (g: Float64Array) => Math.sqrt(sum(g.map((x, i) => (x * x) / d[i]))),
        primal: (x: Float64Array) => Math.sqrt(sum(x.map((v, i) => d[i] * v * v))),
      };
    }
    default:
      throw new Error(`no closed form for ${name}`);
  }
}

/** The shapes and layouts each norm is tested on. */
function cases(name: NormName): { shape: number[]; layout: Layout }[] {
  const all: { shape: number[]; layout: Layout }[] = [
    { shape: [6, 4], layout: "out_in" },
    { shape: [4, 6], layout: "out_in" },
    { shape: [5, 5], layout: "out_in" },
    { shape: [7, 4], layout: "in_out" },
    { shape: [4, 3, 3, 3], layout: "out_in" },
    { shape: [4, 2, 3], layout: "out_in" },
    { shape: [7], layout: "out_in" },
  ];
  return all.filter((c) => NORMS[name].shapeProblem(c.shape, c.layout) === null);
}

function assertClose(actual: number, expected: number, rtol: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= rtol * Math.max(Math.abs(expected), 1e-300),
    `${what}: ${actual} vs ${expected} (rtol ${rtol})`,
  );
}

/** Runs lmo(G), dual(G), <lmo(G), G>, primal(lmo(G)) and primal(X) of one norm on random data. */
async function evaluate(name: NormName, shape: number[], layout: Layout, polar = NS5) {
  const n = size(shape);
  const data = { g: normals(n), x: normals(n), m: normals(n), v: normals(n).map((z) => z * z + 0.1) };
  const inputs = Object.fromEntries(Object.entries(data).map(([k, d]) => [k, { shape, data: d }]));
  const eps = 1e-8;
  const out = await run(inputs, (t) => {
    const norm = makeNorm(name, {
      shape,
      layout,
      polar,
      powerIterations: POWER_ITERATIONS,
      adam: { m: t.m, v: t.v, eps },
    });
    const lmo = norm.lmo(t.g);
    return {
      lmo,
      dual: norm.dual(t.g),
      pairing: inner(lmo, t.g),
      unit: norm.primal(lmo),
      primal: norm.primal(t.x),
    };
  });
  return {
    data,
    eps,
    lmo: out.lmo,
    dual: out.dual[0],
    pairing: out.pairing[0],
    unit: out.unit[0],
    primal: out.primal[0],
  };
}

for (const name of NORM_NAMES.filter((n) => !isSpectral(n))) {
  Deno.test(`norm ${name}: <lmo(G), G> = dual(G), primal(lmo(G)) = 1, dual and primal match their definitions`, async () => {
    for (const { shape, layout } of cases(name)) {
      const r = await evaluate(name, shape, layout);
      const ref = reference(name, shape, layout, { m: r.data.m, v: r.data.v, eps: r.eps });
      const where = `${name} [${shape}] ${layout}`;
      assertClose(r.dual, ref.dual(r.data.g), 1e-10, `${where} dual`);
      assertClose(r.primal, ref.primal(r.data.x), 1e-10, `${where} primal`);
      // The 1e-8 guards of Scion's ColNorm/RowNorm/BiasRMS perturb these two by ~1e-8 relative.
      assertClose(r.pairing, r.dual, 1e-6, `${where} <lmo, G>`);
      assertClose(r.unit, 1, 1e-6, `${where} primal(lmo)`);
    }
  });
}

/** The factor of each spectral norm for a shape, from the definitions (Scion scion.py, Keller muon.py). */
function spectralFactor(name: NormName, shape: number[], layout: Layout): number {
  const [dOut, dIn] = layout === "in_out" ? [shape[1], shape[0]] : [shape[0], size(shape) / shape[0]];
  if (name === "spectral") return 1;
  if (name === "spectral_scion") return Math.sqrt(dOut / dIn);
  if (name === "spectral_scion_max") return Math.max(1, Math.sqrt(dOut / dIn));
  return Math.sqrt(shape[0] / shape[1]) / (shape.length === 4 ? shape[2] ** 2 : shape[2]);
}

for (const name of NORM_NAMES.filter(isSpectral)) {
  Deno.test(`norm ${name}: lmo is the scaled NS5 factor, dual its pairing, primal by power iteration`, async () => {
    for (const { shape, layout } of cases(name)) {
      const r = await evaluate(name, shape, layout);
      const where = `${name} [${shape}] ${layout}`;
      const factor = spectralFactor(name, shape, layout);
      const g = asMat(shape, r.data.g);
      const expected = newtonSchulz5(g).data.map((v) => v * factor);
      const scale = Math.max(...expected.map(Math.abs));
      expected.forEach((v, i) => assert.ok(Math.abs(r.lmo[i] - v) <= NS_RTOL * scale, `${where} lmo[${i}]`));
      // NS5 maps each singular value s of G / (||G||_F + 1e-7) to q(s): dual = factor * sum_i sigma_i q(sigma_i / ...).
      const { singular } = svdPolar(g);
      const fro = Math.sqrt(singular.reduce((a, s) => a + s * s, 0));
      const mapped = singular.map((s) => quinticScalar(s / (fro + 1e-7), NS5_COEFFS));
      assertClose(
        r.dual,
        factor * singular.reduce((a, s, i) => a + s * mapped[i], 0),
        NS_RTOL,
        `${where} dual`,
      );
      assertClose(r.pairing, r.dual, 1e-12, `${where} <lmo, G>`);
      // NS5 does not reach U V^T: its singular values land roughly in [0.5, 1.5], so primal(lmo) is their max.
      for (const s of mapped) {
        assert.ok(s > 0.5 && s < 1.5, `${where}: NS5 singular value ${s} outside [0.5, 1.5]`);
      }
      const top = Math.max(...mapped);
      assert.ok(
        r.unit <= top * (1 + 1e-9) && r.unit >= top * (1 - powerTolerance(g.rows, g.cols)),
        `${where} primal(lmo) ${r.unit} vs ${top}`,
      );
      const xTop = svdPolar(asMat(shape, r.data.x)).singular[0] / factor;
      assert.ok(
        r.primal <= xTop * (1 + 1e-9) && r.primal >= xTop * (1 - powerTolerance(g.rows, g.cols)),
        `${where} primal ${r.primal} vs ${xTop}`,
      );
    }
  });
}

Deno.test("Polar Express approaches the exact polar factor: 5 steps within [0.83, 1.12], 8 steps within 1.01", async () => {
  for (const shape of [[6, 4], [4, 6], [5, 5]]) {
    const g = asMat(shape, normals(size(shape)));
    const exact = svdPolar(g);
    const fro = Math.sqrt(exact.singular.reduce((a, s) => a + s * s, 0));
    // These random matrices are far from singular, so the scaled singular values lie in [1e-3, 1].
    assert.ok(exact.singular[exact.singular.length - 1] / (1.01 * fro) > 1e-3);
    for (const steps of [5, 8]) {
      const out = await run(
        { g: { shape, data: g.data } },
        (t) => ({ p: polarFactors([t.g], { method: "polar_express", steps })[0] }),
      );
      const graph = mat(shape[0], shape[1], out.p);
      polarExpress(g, steps).data.forEach((v, i) =>
        assert.ok(Math.abs(graph.data[i] - v) <= NS_RTOL, `PE${steps} [${shape}] vs JS`)
      );
      const predicted = exact.singular.map((s) =>
        quinticScalar(s / (1.01 * fro), polarExpressCoefficients(steps))
      );
      const got = svdPolar(graph).singular;
      [...predicted].sort((a, b) => b - a).forEach((s, i) =>
        assertClose(got[i], s, NS_RTOL, `PE${steps} [${shape}] singular value ${i}`)
      );
      // Over s in [1e-3, 1] the 5-step map lands in [0.838, 1.112]; from 7 steps on it stays within the
      // 1/1.01 deflation of 1 (max |q(s) - 1| = 0.0099 on that interval).
      const [lo, hi] = steps === 5 ? [0.83, 1.12] : [1 - 0.0101, 1 + 0.0101];
      for (const s of got) {
        assert.ok(s >= lo && s <= hi, `PE${steps} [${shape}] singular value ${s} outside [${lo}, ${hi}]`);
      }
      if (steps === 8) {
        const diff = graph.data.map((v, i) => v - exact.polar.data[i]);
        assert.ok(
          svdPolar(mat(shape[0], shape[1], diff)).singular[0] <= 0.0101,
          `PE8 [${shape}] distance to U V^T`,
        );
      }
    }
  }
});

Deno.test("polar factors of many matrices are batched by shape and equal the one-by-one NS5", async () => {
  const shapes = [[6, 4], [4, 6], [6, 4], [3, 3]];
  const data = shapes.map((s) => normals(size(s)));
  const inputs = Object.fromEntries(shapes.map((s, i) => [`g${i}`, { shape: s, data: data[i] }]));
  const out = await run(inputs, (t) => {
    const factors = polarFactors(shapes.map((_, i) => t[`g${i}`]), NS5);
    return Object.fromEntries(factors.map((f, i) => [`p${i}`, f]));
  });
  shapes.forEach((s, i) => {
    newtonSchulz5(mat(s[0], s[1], data[i])).data.forEach((v, k) =>
      assert.ok(Math.abs(out[`p${i}`][k] - v) <= NS_RTOL, `matrix ${i}[${k}]`)
    );
  });
});

Deno.test("power iteration: a lower bound of ||X||_2, tight where the spectrum has a gap", async () => {
  const shapes = [[8, 5], [5, 8], [8, 5], [12, 12]];
  const data = shapes.map((s) => normals(size(s)));
  // A rank-one spike makes the gap large: then 32 iterations converge to machine precision.
  const spiked = data[2].map((v, i) => v + 10 * Math.sin(Math.floor(i / 5) + 1) * Math.cos((i % 5) + 1));
  data[2] = spiked;
  const inputs = Object.fromEntries(shapes.map((s, i) => [`x${i}`, { shape: s, data: data[i] }]));
  const out = await run(inputs, (t) => {
    const norms = spectralNorms(shapes.map((_, i) => t[`x${i}`]), POWER_ITERATIONS);
    return Object.fromEntries(norms.map((n, i) => [`n${i}`, n]));
  });
  shapes.forEach((s, i) => {
    const exact = svdPolar(mat(s[0], s[1], data[i])).singular[0];
    const got = out[`n${i}`][0];
    assert.ok(got <= exact * (1 + 1e-12), `[${s}] #${i}: ${got} exceeds ${exact}`);
    assert.ok(
      got >= exact * (1 - (i === 2 ? 1e-12 : powerTolerance(s[0], s[1]))),
      `[${s}] #${i}: ${got} vs ${exact}`,
    );
  });
});

Deno.test("adam_infty's LMO at g = m is the Adam direction m / (sqrt(v) + eps)", async () => {
  const shape = [5, 3];
  const m = normals(15);
  const v = normals(15).map((z) => z * z);
  const eps = 1e-8;
  const out = await run({ m: { shape, data: m }, v: { shape, data: v } }, (t) => ({
    lmo: makeNorm("adam_infty", {
      shape,
      layout: "out_in",
      polar: NS5,
      powerIterations: 1,
      adam: { m: t.m, v: t.v, eps },
    }).lmo(t.m),
  }));
  m.forEach((mi, i) => assertClose(out.lmo[i], mi / (Math.sqrt(v[i]) + eps), 1e-12, `entry ${i}`));
});

Deno.test("norms reject shapes they cannot measure, naming the problem", () => {
  const g = new Graph("float64");
  assert.throws(
    () => makeNorm("spectral", { shape: [5], layout: "out_in", polar: NS5, powerIterations: 1 }),
    /needs a matrix/,
  );
  assert.throws(
    () => makeNorm("spectral_conv", { shape: [4, 4], layout: "out_in", polar: NS5, powerIterations: 1 }),
    /conv kernel/,
  );
  assert.throws(
    () => makeNorm("sign", { shape: [2, 3, 3], layout: "out_in", polar: NS5, powerIterations: 1 }),
    /2-D matrix/,
  );
  assert.throws(
    () => makeNorm("adam_2", { shape: [3], layout: "out_in", polar: NS5, powerIterations: 1 }),
    /Adam moments/,
  );
  assert.ok(g);
});
