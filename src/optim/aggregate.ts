/**
 * Product norms across layers (research/papers.md §A.4, GPT-opt nesgd.py@5cdc5b28): from the layers'
 * dual norms d_i (each already scaled by its route's radius) they give the global dual norm and each
 * layer's lr scaling c_i, so that layer i steps by lr * c_i along its LMO.
 *
 * | product  | global dual                         | c_i, normalised (LMO / CSD)            |
 * |----------|-------------------------------------|----------------------------------------|
 * | `max`    | sum_i d_i                           | 1                                      |
 * | `l2`     | sqrt(sum_i d_i^2)                   | d_i / global                           |
 * | `hybrid` | sqrt((sum_M d)^2 + sum_rest d_j^2)  | M: (sum_M d) / global; rest: d_j / global |
 *
 * M are the layers of spectral type ("Muon layers"). Regularised steps (RSD, GPT-opt's `lmo=False`)
 * multiply every c_i by the global dual.
 */
import { mul, sqrt, type Tensor, type TensorLike } from "../graph/mod.ts";
import { safeDiv, sumAll } from "./tensor_math.ts";

/** How layer norms combine into one norm on all parameters. */
export type ProductNorm = "max" | "l2" | "hybrid";

/** Every {@link ProductNorm}. */
export const PRODUCT_NORMS: readonly ProductNorm[] = ["max", "l2", "hybrid"];

/** Normalised (constrained, LMO) or regularised (unnormalised) steepest descent. */
export type StepKind = "lmo" | "rsd";

/** Every {@link StepKind}. */
export const STEP_KINDS: readonly StepKind[] = ["lmo", "rsd"];

/** One layer's input to the aggregation. */
export interface LayerDual {
  /** Its dual norm (a scalar), in its route-scaled norm. */
  dual: Tensor;
  /** Whether it is a layer of spectral type (the `max` group of the hybrid product). */
  spectral: boolean;
}

/** The aggregation's result. */
export interface Aggregate {
  /** The global dual norm. */
  global: Tensor;
  /** Each layer's lr scaling c_i, in input order. */
  scalings: TensorLike[];
}

/** Aggregates layer dual norms under a product norm, for normalised or regularised steps. */
export function aggregate(layers: readonly LayerDual[], product: ProductNorm, step: StepKind): Aggregate {
  if (layers.length === 0) throw new Error("aggregate: no layers");
  const duals = layers.map((l) => l.dual);
  if (product === "max") {
    const global = sumAll(duals);
    return { global, scalings: duals.map(() => (step === "rsd" ? global : 1)) };
  }
  let global: Tensor;
  let shares: Tensor[];
  if (product === "l2") {
    global = sqrt(sumAll(duals.map((d) => mul(d, d))));
    shares = duals;
  } else {
    const muon = duals.filter((_, i) => layers[i].spectral);
    const muonSum = muon.length ? sumAll(muon) : undefined;
    const rest = duals.filter((_, i) => !layers[i].spectral).map((d) => mul(d, d));
    global = sqrt(sumAll(muonSum ? [mul(muonSum, muonSum), ...rest] : rest));
    shares = layers.map((l, i) => (l.spectral ? muonSum! : duals[i]));
  }
  // Regularised: (share / global) * global = share.
  return { global, scalings: shares.map((c) => (step === "rsd" ? c : safeDiv(c, global))) };
}
