/** Summaries of a sample of numbers: mean, median, variance, quantiles. */

/** The arithmetic mean (NaN for an empty sample). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** The unbiased sample variance (n - 1 in the denominator); NaN below two values. */
export function sampleVariance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return ss / (n - 1);
}

/** The median; +Infinity entries count as the largest values. Throws on an empty sample. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error("median: no values");
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The q-quantile (0 <= q <= 1) by linear interpolation between order statistics (numpy's default,
 * "linear", Hyndman-Fan type 7). Throws on an empty sample.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new Error("quantile: no values");
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  // Equal neighbours (also two infinities) need no interpolation, which would give NaN for Inf - Inf.
  return sorted[lo] === sorted[hi] ? sorted[lo] : sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
