/** Small graph expressions the optimizer modules share: inner products, norms and guarded division. */
import { add, div, maximum, mul, reduceSum, sqrt, type Tensor } from "../graph/mod.ts";

/**
 * The floor {@link safeDiv} puts under a non-negative denominator: small enough to leave every real norm
 * untouched in float32, large enough to stay a normal float32, so 0 / 0 gives 0 instead of NaN.
 */
const TINY = 1e-30;

/** a / max(b, TINY) for a non-negative denominator b: the quotient, or 0 where a and b are both 0. */
export function safeDiv(a: Tensor, b: Tensor): Tensor {
  return div(a, maximum(b, TINY));
}

/** Sum of all elements of a ⊙ b: the Frobenius inner product <a, b> (a scalar). */
export function inner(a: Tensor, b: Tensor): Tensor {
  return reduceSum(mul(a, b));
}

/** The Euclidean (Frobenius) norm of all elements of x (a scalar). */
export function frobenius(x: Tensor): Tensor {
  return sqrt(inner(x, x));
}

/** Sum of a non-empty list of same-shaped tensors. */
export function sumAll(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new Error("sumAll: needs at least one term");
  return xs.slice(1).reduce((acc, x) => add(acc, x), xs[0]);
}
