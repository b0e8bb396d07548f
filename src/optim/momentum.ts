/**
 * Momentum buffers as graph expressions (research/papers.md §A.1-A.5):
 * - `ema`: m <- b m + (1 - b) g, direction m (GPT-opt, Gluon; Scion's buf <- (1 - alpha) buf + alpha g is
 *   this with b = 1 - alpha);
 * - `nesterov`: the same buffer, direction (1 - b) g + b m (Keller Jordan's muon.py, written as lerps);
 * - `heavyball`: m <- b m + g, direction m (torch SGD with momentum, dampening 0; the old Muon form);
 * - Adam moments m, v with or without bias correction.
 * `first` initialisation sets the buffers to the first gradient (m = g, v = g^2) at step 0, as GPT-opt
 * does; `zero` starts from zeros. Gluon's stochastic schedule b_k = 1 - (k+1)^(-1/2) is computed from the
 * step input.
 */
import { add, div, equal, mul, sqrt, sub, type Tensor, type TensorLike, where } from "../graph/mod.ts";

/** How the momentum buffer is updated and read. */
export type MomentumKind = "ema" | "nesterov" | "heavyball";

/** Every {@link MomentumKind}. */
export const MOMENTUM_KINDS: readonly MomentumKind[] = ["ema", "nesterov", "heavyball"];

/** The value buffers hold before the first step is folded in. */
export type MomentumInit = "zero" | "first";

/** Every {@link MomentumInit}. */
export const MOMENTUM_INITS: readonly MomentumInit[] = ["zero", "first"];

/** A momentum coefficient: a constant, or Gluon's b_k = 1 - (k+1)^(-1/2). */
export type Beta = number | "gluon";

/** Momentum of the non-Adam layers. */
export interface MomentumOptions {
  kind: MomentumKind;
  beta: Beta;
  init: MomentumInit;
}

/** Adam moments of the layers routed to Adam-weighted norms. */
export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Divide m by 1 - beta1^t and v by 1 - beta2^t (t = step + 1), as torch Adam does. */
  biasCorrection: boolean;
  init: MomentumInit;
}

/** True when a momentum needs no buffer (a constant b = 0 makes the direction the gradient itself). */
export function isStateless(options: MomentumOptions): boolean {
  return options.beta === 0;
}

/** The coefficient at a step: a constant, or Gluon's 1 - 1/sqrt(step + 1). */
export function betaAt(beta: Beta, step: Tensor): TensorLike {
  return beta === "gluon" ? sub(1, div(1, sqrt(add(step, 1)))) : beta;
}

/** `first` initialisation: the first-step value at step 0, the update afterwards. */
function initialised(init: MomentumInit, step: Tensor, first: Tensor, update: Tensor): Tensor {
  return init === "first" ? where(equal(step, 0), first, update) : update;
}

/** One momentum step: the next buffer and the direction the LMO is taken of. */
export function momentumStep(
  g: Tensor,
  buffer: Tensor,
  step: Tensor,
  options: MomentumOptions,
): { buffer: Tensor; direction: Tensor } {
  const b = betaAt(options.beta, step);
  const oneMinusB = typeof b === "number" ? 1 - b : sub(1, b);
  const decayed = mul(buffer, b);
  const update = options.kind === "heavyball" ? add(decayed, g) : add(decayed, mul(g, oneMinusB));
  const next = initialised(options.init, step, g, update);
  const direction = options.kind === "nesterov" ? add(mul(g, oneMinusB), mul(next, b)) : next;
  return { buffer: next, direction };
}

/**
 * The bias corrections c1 = 1 - beta1^t, c2 = 1 - beta2^t at step t, kept as state and advanced by
 * c <- beta c + (1 - beta) from 0: exact in exact arithmetic and free of the cancellation of
 * 1 - exp(t ln beta) in float32 (for beta2 = 0.999 at t = 1 that loses about 1e-4 relative).
 */
export function advanceBiasCorrections(
  previous: { c1: Tensor; c2: Tensor },
  options: AdamOptions,
): { c1: Tensor; c2: Tensor } {
  return {
    c1: add(mul(previous.c1, options.beta1), 1 - options.beta1),
    c2: add(mul(previous.c2, options.beta2), 1 - options.beta2),
  };
}

/**
 * One Adam step: next moments and the moments the norm is built from, divided by this step's bias
 * corrections where they are given (see {@link advanceBiasCorrections}).
 */
export function adamStep(
  g: Tensor,
  m: Tensor,
  v: Tensor,
  step: Tensor,
  options: AdamOptions,
  corrections?: { c1: Tensor; c2: Tensor },
): { m: Tensor; v: Tensor; mHat: Tensor; vHat: Tensor } {
  const { beta1, beta2, init } = options;
  const square = mul(g, g);
  const nextM = initialised(init, step, g, add(mul(m, beta1), mul(g, 1 - beta1)));
  const nextV = initialised(init, step, square, add(mul(v, beta2), mul(square, 1 - beta2)));
  if (!corrections) return { m: nextM, v: nextV, mHat: nextM, vHat: nextV };
  return { m: nextM, v: nextV, mHat: div(nextM, corrections.c1), vHat: div(nextV, corrections.c2) };
}
