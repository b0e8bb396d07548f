/**
 * The bench's rounds (`deno task bench --rounds R`): every engine measured once per round, ours and the
 * PyTorch reference in alternating order, so that a neighbour's load during one round slows both sides of
 * that round's ratio. The ratio is read per round (ours over PyTorch's faster thread count in the same
 * round), and reported as its median and range over the rounds.
 */
import { median } from "../stats/sample.ts";
import type { BenchRow } from "./measure.ts";

/** One row from a row per round: median of the medians, fastest minimum, rates at the merged median. */
export function mergeRounds(rows: readonly BenchRow[]): BenchRow {
  if (!rows.length) throw new Error("mergeRounds: no rows");
  const medianMs = median(rows.map((r) => r.median_ms));
  const first = rows[0];
  const scale = first.median_ms / medianMs;
  return {
    ...first,
    median_ms: medianMs,
    min_ms: Math.min(...rows.map((r) => r.min_ms)),
    tokens_per_s: first.tokens_per_s * scale,
    gflops: first.gflops * scale,
    peak_fraction: first.peak_fraction * scale,
    optimizer_share: median(rows.map((r) => r.optimizer_share)),
    forward_backward_median_ms: median(rows.map((r) => r.forward_backward_median_ms)),
    peak_rss_mb: Math.max(...rows.map((r) => r.peak_rss_mb)),
  };
}

/** Per-round ratios ours / theirs, with their median, minimum and maximum. */
export function roundRatios(ours: readonly number[], theirs: readonly number[]) {
  if (ours.length !== theirs.length || !ours.length) {
    throw new Error(`roundRatios: ${ours.length} and ${theirs.length} rounds; they must pair up`);
  }
  const ratios = ours.map((o, i) => o / theirs[i]);
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}
