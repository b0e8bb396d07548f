/** The bench's rounds (src/bench/rounds.ts): merged rows and per-round ratios. */
import assert from "node:assert/strict";
import type { BenchRow } from "../src/bench/measure.ts";
import { mergeRounds, roundRatios } from "../src/bench/rounds.ts";

const row = (median: number, min: number, rss: number): BenchRow => ({
  workload: "nanogpt-tiny",
  model: {},
  backend: "native",
  threads: 2,
  spinning: true,
  optimizer: "adamw",
  median_ms: median,
  min_ms: min,
  tokens_per_s: 768 / (median / 1000),
  optimizer_share: median / 1000,
  forward_backward_median_ms: median / 2,
  gflops: 4 / (median / 1000),
  matmul_peak_gflops: 100,
  peak_fraction: 4 / (median / 1000) / 100,
  peak_rss_mb: rss,
});

Deno.test("bench rounds: the merged row takes the median of the medians, the fastest minimum and the largest peak", () => {
  const merged = mergeRounds([row(50, 45, 300), row(80, 60, 280), row(60, 41, 310)]);
  assert.equal(merged.median_ms, 60);
  assert.equal(merged.min_ms, 41);
  assert.equal(merged.peak_rss_mb, 310);
  // Rates follow the merged median: tokens and FLOPs per step times steps per second.
  assert.ok(Math.abs(merged.tokens_per_s - 768 / 0.06) < 1e-9);
  assert.ok(Math.abs(merged.gflops - 4 / 0.06) < 1e-9);
  assert.equal(merged.forward_backward_median_ms, 30);
  assert.throws(() => mergeRounds([]), /no rows/);
});

Deno.test("bench rounds: ratios pair the rounds, so a slow round moves both sides", () => {
  // Round 2 ran under load: both engines 2x slower; the per-round ratio stays 0.5.
  const r = roundRatios([50, 100, 52], [100, 200, 100]);
  assert.deepEqual(r.ratios, [0.5, 0.5, 0.52]);
  assert.equal(r.median, 0.5);
  assert.equal(r.min, 0.5);
  assert.equal(r.max, 0.52);
  assert.throws(() => roundRatios([1, 2], [1]), /pair up/);
});
