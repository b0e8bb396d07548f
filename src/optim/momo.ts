/**
 * Momo's truncation at a loss lower bound F_* for any norm (Crawshaw et al.; GPT-opt nesgd.py@5cdc5b28
 * and {muonadam,muonmax}_momo.py@33ed9de; research/papers.md §A.7):
 *
 *   loss_model <- b loss_model + (1 - b) (f(x_k) - <x_k, g_k>)     (set to its first value at step 0)
 *   h          =  loss_model - F_* + <x_k, d_k>
 *   tau        =  min(lr, h / ||d||_*)      normalised (CSD / LMO) steps
 *   tau        =  min(lr, h / ||d||_*^2)    regularised (RSD) steps
 *
 * with g the (clipped) gradient, d the momentum, ||d||_* the global dual norm and b the momentum
 * coefficient. tau replaces lr in the step; weight decay keeps the scheduled lr. As in the GPT-opt code
 * h is not clamped at 0 (the original Momo clamps it: `momo_clamp` does that).
 */
import { add, equal, maximum, minimum, mul, sub, type Tensor, where } from "../graph/mod.ts";
import type { StepKind } from "./aggregate.ts";
import { safeDiv } from "./tensor_math.ts";

/** Momo's settings. */
export interface MomoOptions {
  /** The lower bound F_* of the loss. */
  fstar: number;
  /** The momentum coefficient b of the loss model (GPT-opt requires it to equal the momentum's). */
  beta: number;
  /** Clamp h at 0 as the original Momo does. */
  clamp: boolean;
}

/** What Momo reads from the step. */
export interface MomoInputs {
  lr: Tensor;
  loss: Tensor;
  step: Tensor;
  /** The loss model's previous value (a state slot). */
  lossModel: Tensor;
  /** sum over layers of <x_k, g_k>. */
  paramsDotGrads: Tensor;
  /** sum over layers of <x_k, d_k>. */
  paramsDotDirections: Tensor;
  /** The global dual norm ||d||_*. */
  globalDual: Tensor;
}

/** Momo's step size tau, the model's next value and its numerator h. */
export function momoStepSize(
  inputs: MomoInputs,
  stepKind: StepKind,
  options: MomoOptions,
): { tau: Tensor; lossModel: Tensor; h: Tensor } {
  const { beta, fstar } = options;
  const sample = sub(inputs.loss, inputs.paramsDotGrads);
  const averaged = add(mul(inputs.lossModel, beta), mul(sample, 1 - beta));
  const lossModel = where(equal(inputs.step, 0), sample, averaged);
  const h = add(sub(lossModel, fstar), inputs.paramsDotDirections);
  const numerator = options.clamp ? maximum(h, 0) : h;
  const denominator = stepKind === "rsd" ? mul(inputs.globalDual, inputs.globalDual) : inputs.globalDual;
  return { tau: minimum(inputs.lr, safeDiv(numerator, denominator)), lossModel, h };
}
