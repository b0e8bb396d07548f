/**
 * Stepsizes that a fitted (L0, L1) predicts (research/papers.md §A Gluon, §B.4, §B.6).
 *
 * Gluon's radius is t = ||g||_* / (L0 + L1 ||g||_*) = 1 / (L1 + L0 / ||g||_*). With L0 ≈ 0 it is the
 * constant 1/L1, the "predicted stepsize" the paper sets beside the tuned Scion radii.
 */
import { median } from "../stats/sample.ts";

/**
 * L0 counts as negligible when L0 <= NEGLIGIBLE_L0 × L1 × median(||g||_*): then the Gluon radius at the
 * median gradient is within 0.1% of 1/L1, and 1/L1 is reported.
 */
export const NEGLIGIBLE_L0 = 1e-3;

/** A layer's predicted stepsize and how it was obtained. */
export interface PredictedStep {
  /** The predicted stepsize t. */
  step: number;
  /** "1/L1" where L0 is negligible, else "gluon-at-median-grad": t = g / (L0 + L1 g) at the median g. */
  rule: "1/L1" | "gluon-at-median-grad";
  /** The median gradient dual norm of the layer's estimates. */
  medianGradDual: number;
}

/** The median of a non-empty list of numbers (src/stats/sample.ts, re-exported for existing callers). */
export { median };

/** The stepsize a layer's fit predicts, given the gradient dual norms the fit used. */
export function predictedStep(fit: { L0: number; L1: number }, gradDual: ArrayLike<number>): PredictedStep {
  const g = median(gradDual);
  if (fit.L0 <= NEGLIGIBLE_L0 * fit.L1 * g) return { step: 1 / fit.L1, rule: "1/L1", medianGradDual: g };
  return { step: g / (fit.L0 + fit.L1 * g), rule: "gluon-at-median-grad", medianGradDual: g };
}

/**
 * The ratio of the median L1 of the layers in group `numerator` to that of group `denominator`, e.g.
 * hidden over embedding (about 50 in the authors' NanoGPT run); null when either group is empty.
 */
export function groupL1Ratio(
  layers: readonly { group: string | null; L1: number }[],
  numerator: string,
  denominator: string,
): number | null {
  const of = (group: string) => layers.filter((l) => l.group === group).map((l) => l.L1);
  const top = of(numerator), bottom = of(denominator);
  return top.length && bottom.length ? median(top) / median(bottom) : null;
}
