import assert from "node:assert/strict";
import {
  lnGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  twoSidedP,
} from "../src/stats/student_t.ts";
import { oneSampleTTest, welchTTest } from "../src/stats/t_tests.ts";
import { bootstrap } from "../src/stats/bootstrap.ts";
import { holmAdjust } from "../src/stats/holm.ts";
import { mean, median, quantile, sampleVariance } from "../src/stats/sample.ts";
import {
  bootstrapDifference,
  differenceEstimate,
  meanEstimate,
  testAgainstRange,
} from "../src/stats/estimate.ts";

const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b} (tol ${tol})`);

// Expected values below come from scipy 1.17.1 (scipy.special.gammaln, scipy.special.betainc,
// scipy.stats.t.cdf / t.ppf, scipy.stats.ttest_ind(equal_var=False) and ttest_1samp with
// .confidence_interval(0.95)), computed once on 2026-12-01 and written here as literals.

Deno.test("lnGamma and the regularized incomplete beta match scipy", () => {
  close(lnGamma(0.3), 1.0957979948180756, 1e-13);
  close(lnGamma(1), 0, 1e-13);
  close(lnGamma(4.5), 2.4537365708424423, 1e-13);
  close(lnGamma(100), 359.1342053695754, 1e-13);
  close(regularizedIncompleteBeta(0.3, 2, 3), 0.34829999999999994, 1e-13);
  close(regularizedIncompleteBeta(0.9, 0.5, 5), 0.9999974294103009, 1e-13);
  const tiny = regularizedIncompleteBeta(0.01, 10, 0.5);
  assert.ok(Math.abs(tiny / 1.770034965528571e-21 - 1) < 1e-10, `${tiny}`);
  assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), /x must be in \[0, 1\]/);
});

Deno.test("Student-t CDF and quantile match scipy.stats.t, fractional df included", () => {
  const cdf: [number, number, number][] = [
    [0.5, 3, 0.6742760175759245],
    [-2.1, 4.5, 0.047968908481043133],
    [2.776445105, 4, 0.9749999999949402],
    [10, 2, 0.9950737714883372],
    [-0.3, 30, 0.3831230526421764],
    [3.5, 1, 0.9114144672170952],
  ];
  for (const [t, df, want] of cdf) close(studentTCdf(t, df), want, 1e-12);
  const ppf: [number, number, number][] = [
    [0.975, 2, 4.302652729749462],
    [0.975, 4, 2.7764451051977934],
    [0.975, 3.7, 2.8675207071911895],
    [0.995, 10, 3.16927267261695],
    [0.025, 7, -2.3646242515927844],
  ];
  for (const [p, df, want] of ppf) close(studentTQuantile(p, df), want, 1e-10);
  close(twoSidedP(-2.1, 4.5), 2 * 0.047968908481043133, 1e-12);
  assert.equal(studentTCdf(Infinity, 3), 1);
  assert.equal(twoSidedP(Infinity, 3), 0);
});

Deno.test("Welch and one-sample t tests match scipy (statistic, df, p, 95% interval)", () => {
  const w = welchTTest([3.1, 2.9, 3.3, 3.05], [2.5, 2.8, 2.6])!;
  close(w.t, 3.758620689655177, 1e-12);
  close(w.df, 4.6582210952678915, 1e-12);
  close(w.p, 0.015005268899853584, 1e-10);
  close(w.ci[0], 0.13657320690405766, 1e-10);
  close(w.ci[1], 0.7717601264292764, 1e-10);
  const o = oneSampleTTest([0.1, -0.05, 0.2, 0.15, 0.05])!;
  close(o.t, 2.0924574973887466, 1e-12);
  close(o.p, 0.10453999977837554, 1e-10);
  close(o.ci[0], -0.029419419404999023, 1e-10);
  close(o.ci[1], 0.20941941940499903, 1e-10);
  assert.equal(welchTTest([1, 1], [2, 2]), undefined); // constant samples: no t statistic
  assert.throws(() => welchTTest([1], [2, 3]), /at least 2 values/);
  assert.throws(() => oneSampleTTest([1, NaN]), /must be finite/);
});

Deno.test("bootstrap: deterministic, interval covers the estimate, paired resampling, p never 0", () => {
  const diff = (g: number[][]) => mean(g[0]) - mean(g[1]);
  const a = [3.0, 3.1, 2.9, 3.05, 2.95], b = [2.0, 2.1, 1.9, 2.05, 1.95];
  const r1 = bootstrap([a, b], diff, { resamples: 2000 });
  const r2 = bootstrap([a, b], diff, { resamples: 2000 });
  assert.deepEqual([r1.estimate, r1.ci, r1.p], [r2.estimate, r2.ci, r2.p]);
  assert.equal(r1.pAgainst(0.5), r2.pAgainst(0.5));
  assert.ok(r1.pAgainst(1) > 0.5, "the estimate itself is not rejected");
  close(r1.estimate, 1, 1e-12);
  assert.ok(r1.ci[0] > 0.9 && r1.ci[1] < 1.1 && r1.ci[0] < 1 && r1.ci[1] > 1, `${r1.ci}`);
  close(r1.p, 2 / 2001, 1e-15); // every resample is above 0
  assert.notDeepEqual(bootstrap([a, b], diff, { resamples: 2000, seed: 7 }).ci, r1.ci);
  // Same values on both sides: the statistic straddles 0 and p is large.
  assert.ok(bootstrap([a, a], diff, { resamples: 2000 }).p > 0.5);
  // Paired: a shift of exactly +1 per pair has a degenerate interval at 1.
  const paired = bootstrap([a.map((x) => x + 1), a], diff, { resamples: 500, paired: true });
  assert.deepEqual(paired.ci.map((x) => Number(x.toFixed(12))), [1, 1]);
  // Infinite statistics (not reached) survive the percentile interval.
  const inf = bootstrap([[Infinity, Infinity, 5]], (g) => median(g[0]), { resamples: 500 });
  assert.equal(inf.estimate, Infinity);
  assert.equal(inf.ci[1], Infinity);
  assert.throws(() => bootstrap([[1, 2], [1]], diff, { paired: true }), /paired groups need equal lengths/);
});

Deno.test("holmAdjust: step-down, monotone, NaN entries left out", () => {
  // m = 4: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06.
  const adj = holmAdjust([0.01, 0.04, 0.03, 0.005, NaN]);
  for (const [got, want] of adj.slice(0, 4).map((v, i) => [v, [0.03, 0.06, 0.06, 0.02][i]])) {
    close(got, want, 1e-15);
  }
  assert.ok(Number.isNaN(adj[4]));
  assert.deepEqual(holmAdjust([0.9, 0.8]), [1, 1]);
});

Deno.test("sample summaries: mean, variance, median, type-7 quantile", () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  close(sampleVariance([1, 2, 3, 6]), 14 / 3, 1e-15);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75); // numpy.quantile([1,2,3,4], 0.25) = 1.75
  assert.equal(quantile([1, Infinity, Infinity], 0.9), Infinity);
});

Deno.test("estimates: log-scale ratios, constant samples, and the range test's p on either side", () => {
  const ratio = differenceEstimate([3, 3, 3], [1.5, 1.5, 1.5], { log: true, paired: true });
  assert.equal(ratio.method, "constant", "every pair has the same ratio");
  close(ratio.estimate, 2, 1e-12);
  assert.equal(ratio.pAgainst(ratio.estimate), 1);
  assert.equal(ratio.pAgainst(1), 0);
  const logRatio = differenceEstimate([2, 4.2, 7.9], [1, 2, 4], { log: true, paired: true });
  assert.equal(logRatio.method, "paired t");
  assert.ok(logRatio.ci![0] < 2.05 && logRatio.ci![1] > 2.0 && logRatio.ci![0] > 1.5, `${logRatio.ci}`);
  const welch = differenceEstimate([3.1, 2.9, 3.3, 3.05], [2.5, 2.8, 2.6]);
  close(welch.pAgainst(0), 0.015005268899853584, 1e-10); // scipy, as above
  const inside = testAgainstRange(welch, 0, Infinity);
  assert.deepEqual([inside.inside, inside.p], [true, welch.pAgainst(0)]);
  // Inside a two-sided range, the p is the larger of the two ends' p-values.
  const both = testAgainstRange(welch, 0.1, 1);
  assert.equal(both.p, Math.max(welch.pAgainst(0.1), welch.pAgainst(1)));
  const outside = testAgainstRange(welch, 1, 2);
  assert.deepEqual([outside.inside, outside.p], [false, welch.pAgainst(1)]);
  assert.equal(meanEstimate([5]).ci, null, "one value has no interval");
  assert.ok(Number.isNaN(meanEstimate([5]).pAgainst(0)));
  const widths = bootstrapDifference([2, 2.1, 1.9], [1, 1.1, 0.9], mean, { resamples: 1000 });
  assert.ok(widths.ci![0] > 0.5 && widths.pAgainst(0) < 0.01);
  assert.throws(() => differenceEstimate([1, -1], [1, 1], { log: true }), /needs values > 0/);
});
