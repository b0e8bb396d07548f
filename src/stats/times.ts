/** Summaries of repeated timings: machines are noisy, so we report min and median, never a mean alone. */
import { median } from "./sample.ts";

/** Minimum, median and count of a list of durations in milliseconds. */
export function summarizeTimes(ms: readonly number[]): { minMs: number; medianMs: number; n: number } {
  if (ms.length === 0) return { minMs: NaN, medianMs: NaN, n: 0 };
  return { minMs: ms.reduce((a, b) => Math.min(a, b)), medianMs: median(ms), n: ms.length };
}
