/**
 * The layer norms of a trajectory measurement (papers.md B.2): Scion's geometry per parameter role, or
 * Euclidean (Frobenius) for every layer. Each gives the primal norm of a parameter difference and the dual
 * norm of a gradient, exactly (singular values) and, for spectral-type layers, with the NS5 approximation
 * of the nuclear norm that the Gluon authors used.
 */
import type { ParamSpec } from "../contracts/params.ts";
import type { Geometry } from "../contracts/job_config.ts";
import { type Matrix, nuclearNormNsOf, singularValues, spectralNorm } from "./linalg.ts";

/** The norms of one parameter: primal of a step, dual of a gradient (exact and NS-approximated). */
export interface LayerNorms {
  /** Short name of the norm, for the `norm` column. */
  name: string;
  primal(x: Float32Array | Float64Array): number;
  /**
   * The dual norm of a gradient, exactly and as the authors computed it (NS5 nuclear norm; equal to the
   * exact one for non-spectral norms), from one singular value decomposition.
   */
  duals(g: Float32Array | Float64Array): { exact: number; ns: number };
}

const sumAbs = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s;
};
const maxAbs = (x: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
};
const l2 = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
};

/** A dual norm that has no separate NS5 form. */
const same = (v: number) => ({ exact: v, ns: v });

/**
 * Spectral-type norm of an [out, in] matrix scaled as Scion does: primal = (1/c) ||X||_2, dual = c ||G||_*,
 * where c = sqrt(out/in) for hidden matrices and sqrt(C_out/C_in)/k^2 for conv kernels.
 */
function spectral(name: string, rows: number, cols: number, c: number): LayerNorms {
  const m = (d: Float32Array | Float64Array): Matrix => ({ rows, cols, data: d });
  return {
    name,
    primal: (x) => spectralNorm(m(x)) / c,
    duals: (g) => {
      const sv = singularValues(m(g));
      return { exact: c * sv.reduce((a, b) => a + b, 0), ns: c * nuclearNormNsOf(sv) };
    },
  };
}

/** Scion's Sign geometry with the 1/d_in normalisation: primal d_in max|X|, dual (1/d_in) sum|G|. */
function sign(dIn: number): LayerNorms {
  return { name: "sign", primal: (x) => dIn * maxAbs(x), duals: (g) => same(sumAbs(g) / dIn) };
}

/** Scion's BiasRMS: primal ||x||_2/sqrt(n), dual sqrt(n) ||g||_2. */
function biasRms(n: number): LayerNorms {
  return { name: "bias_rms", primal: (x) => l2(x) / Math.sqrt(n), duals: (g) => same(Math.sqrt(n) * l2(g)) };
}

const EUCLIDEAN: LayerNorms = { name: "euclidean", primal: l2, duals: (g) => same(l2(g)) };

/**
 * The norms of a parameter in a geometry. Scion's: hidden -> Spectral, conv -> SpectralConv, embeddings and
 * heads (tied or not) -> Sign with 1/d_in, biases and gains -> BiasRMS. Euclidean: Frobenius for all.
 */
export function layerNorms(spec: ParamSpec, geometry: Geometry): LayerNorms {
  if (geometry === "euclidean") return EUCLIDEAN;
  const [a, b] = spec.shape;
  switch (spec.role) {
    case "hidden":
      return spectral("spectral", a, b, Math.sqrt(a / b));
    case "conv": {
      const k2 = spec.shape[2] * spec.shape[3];
      return spectral("spectral_conv", a, b * k2, Math.sqrt(a / b) / k2);
    }
    case "embedding":
    case "position":
    case "head":
    case "tied_embedding":
      return sign(b);
    case "bias":
    case "gain":
      return biasRms(spec.shape.reduce((x, y) => x * y, 1));
  }
}
