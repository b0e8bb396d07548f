/** Global gradient clipping, as torch.nn.utils.clip_grad_norm_ (GPT-opt clips to 1.0 before every step). */
import { add, div, minimum, mul, sqrt, type Tensor } from "../graph/mod.ts";
import { inner, sumAll } from "./tensor_math.ts";

/** Clipped gradients and what clipping did. */
export interface Clipped {
  grads: Tensor[];
  /** The global l2 norm of the gradients before clipping. */
  norm: Tensor;
  /** The factor min(1, maxNorm / (norm + 1e-6)) every gradient was multiplied by. */
  coefficient: Tensor;
}

/** The global l2 norm of a list of tensors (a scalar). */
export function globalNorm(xs: readonly Tensor[]): Tensor {
  return sqrt(sumAll(xs.map((x) => inner(x, x))));
}

/** Scales all gradients by min(1, maxNorm / (||g|| + 1e-6)), ||g|| being their global l2 norm. */
export function clipGlobalNorm(grads: readonly Tensor[], maxNorm: number): Clipped {
  if (!(maxNorm > 0)) throw new Error(`clip: the maximum norm must be positive, got ${maxNorm}`);
  const norm = globalNorm(grads);
  const coefficient = minimum(div(maxNorm, add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => mul(g, coefficient)), norm, coefficient };
}
