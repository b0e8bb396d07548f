/** Summaries of repeated timings: machines are noisy, so we report min and median, never a mean alone. */

/** Minimum, median and count of a list of durations in milliseconds. */
export function summarizeTimes(ms: readonly number[]): { minMs: number; medianMs: number; n: number } {
  if (ms.length === 0) return { minMs: NaN, medianMs: NaN, n: 0 };
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { minMs: sorted[0], medianMs, n: sorted.length };
}
