/**
 * t tests with 95% confidence intervals: Welch's two-sample test (unequal variances,
 * Welch-Satterthwaite degrees of freedom) and the one-sample test (also the paired test, on differences).
 */
import { mean, sampleVariance } from "./sample.ts";
import { studentTQuantile, twoSidedP } from "./student_t.ts";

/** The confidence level of every interval in lmo-bench's verdicts. */
export const CONFIDENCE = 0.95;

/** A t test's result: the estimate, its standard error, degrees of freedom, statistic, p and interval. */
export interface TTest {
  /** The estimate: a mean difference (Welch) or a mean minus the null value (one-sample). */
  estimate: number;
  se: number;
  df: number;
  t: number;
  /** Two-sided p-value against an estimate of 0. */
  p: number;
  /** The two-sided CONFIDENCE interval of the estimate. */
  ci: [number, number];
}

function finish(estimate: number, se: number, df: number): TTest {
  const t = estimate / se;
  const half = studentTQuantile(0.5 + CONFIDENCE / 2, df) * se;
  return { estimate, se, df, t, p: twoSidedP(t, df), ci: [estimate - half, estimate + half] };
}

function checkSample(values: readonly number[], name: string): void {
  if (values.length < 2) throw new Error(`${name}: need at least 2 values, got ${values.length}`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new Error(`${name}: values must be finite, got ${v}`);
  }
}

/**
 * Welch's t test of mean(a) - mean(b). Returns undefined when the standard error is 0 (both samples
 * constant), where the t statistic is undefined. Throws when a sample has fewer than 2 finite values.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): TTest | undefined {
  checkSample(a, "welchTTest");
  checkSample(b, "welchTTest");
  const va = sampleVariance(a) / a.length, vb = sampleVariance(b) / b.length;
  const se = Math.sqrt(va + vb);
  if (!(se > 0)) return undefined;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return finish(mean(a) - mean(b), se, df);
}

/**
 * One-sample t test of mean(x) - mu0 (with x the pairwise differences, the paired t test). Returns
 * undefined when the sample is constant. Throws when it has fewer than 2 finite values.
 */
export function oneSampleTTest(x: readonly number[], mu0 = 0): TTest | undefined {
  checkSample(x, "oneSampleTTest");
  const se = Math.sqrt(sampleVariance(x) / x.length);
  if (!(se > 0)) return undefined;
  return finish(mean(x) - mu0, se, x.length - 1);
}
