/**
 * Estimates over seeds with a 95% interval and a p-value against any value, and the test of an estimate
 * against an acceptance range that every verdict uses.
 *
 * Which method is used when (written down in docs/design.md):
 * - t intervals (one-sample, paired, or Welch's unequal-variance two-sample test) for means and
 *   differences of means of per-seed quantities that are roughly normal across seeds: final losses,
 *   fitted constants, step times. Ratios of positive quantities are taken on the log scale (a ratio is a
 *   difference of logs, and log-normal spread is the usual model of a scale quantity).
 * - The percentile bootstrap (seeded, so deterministic) for statistics that are not means of roughly
 *   normal values: LR basin widths (piled up at grid points and censored at the grid's ends) and steps to
 *   a target (integers at the eval interval, with "not reached" as +Infinity, so medians).
 * - When every seed gave exactly the same value (bitwise-deterministic quantities) the interval has zero
 *   width and the p-value is 0 against any other value, 1 against that value.
 */
import { bootstrap, type BootstrapOptions } from "./bootstrap.ts";
import { mean } from "./sample.ts";
import { oneSampleTTest, type TTest, welchTTest } from "./t_tests.ts";
import { twoSidedP } from "./student_t.ts";

/** How an estimate's interval and p-value were obtained. */
export type EstimateMethod = "t" | "paired t" | "Welch t" | "bootstrap" | "constant";

/** An estimate over seeds. */
export interface Estimate {
  method: EstimateMethod;
  estimate: number;
  /** The 95% interval; null when a sample has fewer than 2 values. */
  ci: [number, number] | null;
  /** The smallest sample size behind the estimate (seeds; pairs when paired). */
  n: number;
  /** Two-sided p-value against the true value being `x` (NaN when there is no interval). */
  pAgainst(x: number): number;
}

const toLog = (values: readonly number[], what: string): number[] =>
  values.map((v) => {
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new Error(`${what}: a log-scale estimate needs values > 0, got ${v}`);
    }
    return Math.log(v);
  });

function fromTTest(t: TTest | undefined, estimate: number, n: number, method: EstimateMethod): Estimate {
  if (t === undefined) {
    // Equal up to rounding (a value mapped through log and exp) counts as equal.
    const same = (x: number) => Math.abs(x - estimate) <= 1e-12 * Math.max(1, Math.abs(estimate));
    return { method: "constant", estimate, ci: [estimate, estimate], n, pAgainst: (x) => (same(x) ? 1 : 0) };
  }
  return {
    method,
    estimate: t.estimate,
    ci: t.ci,
    n,
    pAgainst: (x) => twoSidedP((t.estimate - x) / t.se, t.df),
  };
}

function withoutInterval(estimate: number, n: number, method: EstimateMethod): Estimate {
  return { method, estimate, ci: null, n, pAgainst: () => NaN };
}

/** Maps an estimate on the log scale back to ratios (estimate, interval and p-values). */
function exponentiate(e: Estimate): Estimate {
  return {
    ...e,
    estimate: Math.exp(e.estimate),
    ci: e.ci && [Math.exp(e.ci[0]), Math.exp(e.ci[1])],
    pAgainst: (x) => (x > 0 ? e.pAgainst(Math.log(x)) : 0),
  };
}

/** The mean of a sample with its t interval. Throws on a non-finite value. */
export function meanEstimate(values: readonly number[]): Estimate {
  for (const v of values) {
    if (!Number.isFinite(v)) throw new Error(`meanEstimate: values must be finite, got ${v}`);
  }
  if (values.length < 2) return withoutInterval(mean(values), values.length, "t");
  return fromTTest(oneSampleTTest(values), mean(values), values.length, "t");
}

/**
 * mean(a) - mean(b): the paired t test on a[i] - b[i] when `paired` (equal lengths), else Welch's t test.
 * With `log`, the ratio exp(mean ln a - mean ln b) (a geometric-mean ratio; for pairs, of a[i] / b[i]).
 */
export function differenceEstimate(
  a: readonly number[],
  b: readonly number[],
  options: { paired?: boolean; log?: boolean } = {},
): Estimate {
  if (options.log) {
    return exponentiate(differenceEstimate(toLog(a, "ratio"), toLog(b, "ratio"), { paired: options.paired }));
  }
  for (const v of [...a, ...b]) {
    if (!Number.isFinite(v)) throw new Error(`differenceEstimate: values must be finite, got ${v}`);
  }
  if (options.paired) {
    if (a.length !== b.length) {
      throw new Error(
        `differenceEstimate: paired samples need equal lengths, got ${a.length} and ${b.length}`,
      );
    }
    const d = a.map((x, i) => x - b[i]);
    if (d.length < 2) return withoutInterval(mean(d), d.length, "paired t");
    return fromTTest(oneSampleTTest(d), mean(d), d.length, "paired t");
  }
  const n = Math.min(a.length, b.length);
  if (n < 2) return withoutInterval(mean(a) - mean(b), n, "Welch t");
  return fromTTest(welchTTest(a, b), mean(a) - mean(b), n, "Welch t");
}

/**
 * statistic(a) - statistic(b) (default: the mean) by the percentile bootstrap over seeds, each sample
 * resampled on its own. Values may be +Infinity when the statistic copes (a median).
 */
export function bootstrapDifference(
  a: readonly number[],
  b: readonly number[],
  statistic: (x: readonly number[]) => number = mean,
  options: BootstrapOptions = {},
): Estimate {
  const n = Math.min(a.length, b.length);
  const diff = (g: number[][]) => statistic(g[0]) - statistic(g[1]);
  if (n === 0) return withoutInterval(NaN, 0, "bootstrap");
  const r = bootstrap([a, b], diff, options);
  return { method: "bootstrap", estimate: r.estimate, ci: r.ci, n, pAgainst: r.pAgainst };
}

/** A statistic of one sample (default: the mean) by the percentile bootstrap over seeds. */
export function bootstrapEstimate(
  values: readonly number[],
  statistic: (x: readonly number[]) => number = mean,
  options: BootstrapOptions = {},
): Estimate {
  if (values.length === 0) return withoutInterval(NaN, 0, "bootstrap");
  const r = bootstrap([values], (g) => statistic(g[0]), options);
  return { method: "bootstrap", estimate: r.estimate, ci: r.ci, n: values.length, pAgainst: r.pAgainst };
}

/** An estimate tested against an acceptance range [lo, hi] (either end may be infinite). */
export interface RangeTest {
  /** Whether the estimate lies inside the range. */
  inside: boolean;
  /**
   * Two-sided p for the side the estimate is on: inside, the larger p against the finite ends (so p < 0.05
   * exactly when the 95% interval lies inside the range, for t intervals); outside, the p against the
   * nearer end. NaN when the estimate has no interval.
   */
  p: number;
}

/** Tests an estimate against the acceptance range [lo, hi] (see {@link RangeTest}). */
export function testAgainstRange(e: Estimate, lo: number, hi: number): RangeTest {
  const x = e.estimate;
  if (x >= lo && x <= hi) {
    const ends = [lo, hi].filter(Number.isFinite);
    return { inside: true, p: ends.length ? Math.max(...ends.map((end) => e.pAgainst(end))) : 0 };
  }
  return { inside: false, p: e.pAgainst(x < lo ? lo : hi) };
}
