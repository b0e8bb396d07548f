/**
 * Per-layer norms: each with its LMO (the maximiser argmax_{||U|| <= 1} <D, U>, which the update
 * subtracts), its dual norm and its primal norm, as graph functions (research/papers.md §A.0-A.4).
 *
 * Matrices are stored as [out, in] (PyTorch's layout), except parameters whose role stores them as
 * [in, out] (`embedding`, `position`: [vocab or ctx, d]); those are read transposed, as Scion's
 * `transpose=True` does for embeddings. d_out and d_in below refer to the [out, in] view.
 */
import { abs, add, div, mul, reduceMax, reduceSum, reshape, sign, sqrt, type Tensor } from "../graph/mod.ts";
import type { Role } from "../contracts/params.ts";
import { polarFactor, type PolarOptions } from "./polar.ts";
import { spectralNorms } from "./power.ts";
import { frobenius, inner, safeDiv } from "./tensor_math.ts";

/** Names of the norms a parameter can be routed to. */
export type NormName =
  | "spectral"
  | "spectral_scion"
  | "spectral_scion_max"
  | "spectral_conv"
  | "colnorm"
  | "rownorm"
  | "sign"
  | "linfty"
  | "bias_rms"
  | "euclidean"
  | "adam_infty"
  | "adam_2";

/** How a role stores a matrix: [out, in] (linear layers, heads, convs) or [in, out] (embeddings). */
export type Layout = "out_in" | "in_out";

/** The layout a role stores its matrix in. */
export function layoutOf(role: Role): Layout {
  return role === "embedding" || role === "position" ? "in_out" : "out_in";
}

/** Adam moments that weight the `adam_infty` and `adam_2` norms: weights |m| / (sqrt(v) + eps) and sqrt(v) + eps. */
export interface AdamWeights {
  m: Tensor;
  v: Tensor;
  eps: number;
}

/** What a norm needs to know about the parameter it measures. */
export interface NormContext {
  shape: readonly number[];
  layout: Layout;
  polar: PolarOptions;
  /** Power-iteration steps for primal norms of spectral type. */
  powerIterations: number;
  /** Required by the Adam-weighted norms. */
  adam?: AdamWeights;
}

/**
 * A norm of spectral type: lmo(D) = factor * polar(matrix(D)), dual(D) = factor * ||matrix(D)||_nuc
 * (computed as <lmo(D), D>), primal(X) = ||matrix(X)||_2 / factor. Exposed so that callers can batch the
 * polar factors and spectral norms of many layers.
 */
export interface SpectralForm {
  factor: number;
  /** The [rows, cols] matrix view of a tensor of the parameter's shape (convs flattened to [C_out, C_in k k]). */
  matrix(t: Tensor): Tensor;
  /** Back from the matrix view to the parameter's shape. */
  unmatrix(t: Tensor): Tensor;
}

/** One layer's norm, bound to that layer's shape (and Adam moments, for the Adam-weighted norms). */
export interface LayerNorm {
  readonly name: NormName;
  /** argmax_{||U|| <= 1} <d, U>: unit primal norm (approximately, for spectral types), <lmo(d), d> = dual(d). */
  lmo(d: Tensor): Tensor;
  /** The dual norm ||d||_* (a scalar). */
  dual(d: Tensor): Tensor;
  /** The primal norm ||x|| (a scalar). */
  primal(x: Tensor): Tensor;
  /** Present for norms of spectral type. */
  readonly spectral?: SpectralForm;
}

/** What each norm is, for help texts and routing checks. */
export interface NormInfo {
  /** One line: the LMO and the norm. */
  summary: string;
  /** Why the shape cannot use the norm, or null when it can. */
  shapeProblem(shape: readonly number[], layout: Layout): string | null;
  /** True for norms weighted by the layer's Adam moments. */
  adam: boolean;
}

const anyRank = () => null;
const matrixOnly = (shape: readonly number[]) => (shape.length === 2 ? null : "it needs a 2-D matrix");
const spectralRank = (shape: readonly number[], layout: Layout) =>
  shape.length < 2
    ? "it needs a matrix (rank >= 2)"
    : layout === "in_out" && shape.length !== 2
    ? "an [in, out] parameter must be 2-D"
    : null;
const convRank = (shape: readonly number[], layout: Layout) =>
  shape.length === 3 || shape.length === 4
    ? layout === "out_in" ? null : "it needs an [out, in, k(, k)] kernel"
    : "it needs a 3-D or 4-D conv kernel (use spectral_scion for 2-D matrices)";

/** Every norm, with its summary and the shapes it accepts. */
export const NORMS: Record<NormName, NormInfo> = {
  spectral: {
    summary: "polar(D); ||X||_2 (GPT-opt spectral, Muon)",
    shapeProblem: spectralRank,
    adam: false,
  },
  spectral_scion: {
    summary: "sqrt(d_out/d_in) polar(D); sqrt(d_in/d_out) ||X||_2 (Scion Spectral, normalized)",
    shapeProblem: spectralRank,
    adam: false,
  },
  spectral_scion_max: {
    summary:
      "max(1, sqrt(d_out/d_in)) polar(D) (Scion Spectral max=True; Keller Muon's sqrt(max(1, rows/cols)))",
    shapeProblem: spectralRank,
    adam: false,
  },
  spectral_conv: {
    summary: "sqrt(C_out/C_in)/k^2 polar(D as C_out x C_in k k) (Scion SpectralConv)",
    shapeProblem: convRank,
    adam: false,
  },
  colnorm: {
    summary: "each input column scaled to l2 norm sqrt(d_out); max_j ||X_:j|| / sqrt(d_out) (Scion ColNorm)",
    shapeProblem: matrixOnly,
    adam: false,
  },
  rownorm: {
    summary:
      "each output row scaled to l2 norm 1/sqrt(d_in); sqrt(d_in) max_i ||X_i:|| (Scion RowNorm, normalized)",
    shapeProblem: matrixOnly,
    adam: false,
  },
  sign: {
    summary: "sign(D)/d_in; d_in max|X| (Scion Sign, normalized)",
    shapeProblem: matrixOnly,
    adam: false,
  },
  linfty: { summary: "sign(D); max|X| (GPT-opt linfty)", shapeProblem: anyRank, adam: false },
  bias_rms: { summary: "D / RMS(D); ||X||_2 / sqrt(n) (Scion BiasRMS)", shapeProblem: anyRank, adam: false },
  euclidean: { summary: "D / ||D||_F; ||X||_F", shapeProblem: anyRank, adam: false },
  adam_infty: {
    summary: "sign(D) |m|/(sqrt(v)+eps); max |X| (sqrt(v)+eps)/|m| (GPT-opt adam_infty)",
    shapeProblem: anyRank,
    adam: true,
  },
  adam_2: {
    summary: "D / ((sqrt(v)+eps) ||D||_*); sqrt(sum (sqrt(v)+eps) X^2) (GPT-opt adam_2)",
    shapeProblem: anyRank,
    adam: true,
  },
};

/** Every norm name. */
export const NORM_NAMES = Object.keys(NORMS) as NormName[];

/** True for norms whose LMO is a (scaled) polar factor. */
export function isSpectral(name: NormName): boolean {
  return name.startsWith("spectral");
}

/** Binds a norm to one parameter, checking that its shape fits the norm. */
export function makeNorm(name: NormName, ctx: NormContext): LayerNorm {
  const info = NORMS[name];
  if (!info) throw new Error(`unknown norm "${name}"; use one of: ${NORM_NAMES.join(", ")}`);
  const problem = info.shapeProblem(ctx.shape, ctx.layout);
  if (problem) throw new Error(`norm ${name} cannot measure a parameter of shape [${ctx.shape}]: ${problem}`);
  if (info.adam && !ctx.adam) throw new Error(`norm ${name} needs the layer's Adam moments`);
  if (isSpectral(name)) return spectralNorm(name, ctx);
  return elementwiseNorm(name, ctx);
}

/** d_out, d_in of the [out, in] view (convs: C_out, C_in). */
function fanOf(shape: readonly number[], layout: Layout, flatten: boolean): [number, number] {
  if (layout === "in_out") return [shape[1], shape[0]];
  const rest = shape.slice(1);
  return [shape[0], flatten ? rest.reduce((a, b) => a * b, 1) : rest[0]];
}

function spectralFactor(name: NormName, shape: readonly number[], layout: Layout): number {
  if (name === "spectral") return 1;
  if (name === "spectral_conv") {
    const [cOut, cIn] = fanOf(shape, layout, false);
    const k = shape[2];
    return Math.sqrt(cOut / cIn) / (shape.length === 4 ? k * k : k);
  }
  const [dOut, dIn] = fanOf(shape, layout, true);
  const factor = Math.sqrt(dOut / dIn);
  return name === "spectral_scion_max" ? Math.max(1, factor) : factor;
}

function spectralNorm(name: NormName, ctx: NormContext): LayerNorm {
  const shape = [...ctx.shape];
  const rows = shape[0];
  const cols = shape.slice(1).reduce((a, b) => a * b, 1);
  const form: SpectralForm = {
    factor: spectralFactor(name, shape, ctx.layout),
    matrix: (t) => (t.rank === 2 ? t : reshape(t, [rows, cols])),
    unmatrix: (t) => (shape.length === 2 ? t : reshape(t, shape)),
  };
  const lmo = (d: Tensor) => mul(form.unmatrix(polarFactor(form.matrix(d), ctx.polar)), form.factor);
  return {
    name,
    spectral: form,
    lmo,
    dual: (d) => inner(lmo(d), d),
    primal: (x) => div(spectralNorms([form.matrix(x)], ctx.powerIterations)[0], form.factor),
  };
}

/** Euclidean norms of the slices of x along `axis` (kept as a size-1 axis). */
function sliceNorms(x: Tensor, axis: number): Tensor {
  return sqrt(reduceSum(mul(x, x), [axis], true));
}

function elementwiseNorm(name: NormName, ctx: NormContext): LayerNorm {
  const outAxis = ctx.layout === "out_in" ? 0 : 1;
  const inAxis = 1 - outAxis;
  const n = ctx.shape.reduce((a, b) => a * b, 1);
  switch (name) {
    case "colnorm": {
      const dOut = ctx.shape[outAxis];
      return {
        name,
        lmo: (d) => div(d, add(div(sliceNorms(d, outAxis), Math.sqrt(dOut)), 1e-8)),
        dual: (d) => mul(reduceSum(sliceNorms(d, outAxis)), Math.sqrt(dOut)),
        primal: (x) => div(reduceMax(sliceNorms(x, outAxis)), Math.sqrt(dOut)),
      };
    }
    case "rownorm": {
      const dIn = ctx.shape[inAxis];
      return {
        name,
        lmo: (d) => div(d, add(mul(sliceNorms(d, inAxis), Math.sqrt(dIn)), 1e-8)),
        dual: (d) => div(reduceSum(sliceNorms(d, inAxis)), Math.sqrt(dIn)),
        primal: (x) => mul(reduceMax(sliceNorms(x, inAxis)), Math.sqrt(dIn)),
      };
    }
    case "sign": {
      const dIn = ctx.shape[inAxis];
      return {
        name,
        lmo: (d) => div(sign(d), dIn),
        dual: (d) => div(reduceSum(abs(d)), dIn),
        primal: (x) => mul(reduceMax(abs(x)), dIn),
      };
    }
    case "linfty":
      return { name, lmo: sign, dual: (d) => reduceSum(abs(d)), primal: (x) => reduceMax(abs(x)) };
    case "bias_rms":
      return {
        name,
        lmo: (d) => div(d, add(div(frobenius(d), Math.sqrt(n)), 1e-8)),
        dual: (d) => mul(frobenius(d), Math.sqrt(n)),
        primal: (x) => div(frobenius(x), Math.sqrt(n)),
      };
    case "euclidean":
      return { name, lmo: (d) => safeDiv(d, frobenius(d)), dual: frobenius, primal: frobenius };
    case "adam_infty": {
      const { m, v, eps } = ctx.adam!;
      const denominator = add(sqrt(v), eps);
      const weight = div(abs(m), denominator);
      return {
        name,
        // At d = m, sign(m) |m| / s is m / s bit for bit (division rounds symmetrically): Adam's own step,
        // in three elementwise passes fewer.
        lmo: (d) => (d === m ? div(m, denominator) : mul(sign(d), weight)),
        dual: (d) => reduceSum(mul(abs(d), weight)),
        primal: (x) => reduceMax(safeDiv(abs(x), weight)),
      };
    }
    case "adam_2": {
      const { v, eps } = ctx.adam!;
      const scale = add(sqrt(v), eps);
      const dual = (d: Tensor) => sqrt(reduceSum(div(mul(d, d), scale)));
      return {
        name,
        lmo: (d) => safeDiv(div(d, scale), dual(d)),
        dual,
        primal: (x) => sqrt(reduceSum(mul(scale, mul(x, x)))),
      };
    }
    default:
      throw new Error(`norm ${name} is not elementwise`);
  }
}
