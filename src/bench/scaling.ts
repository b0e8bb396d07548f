/**
 * The scaling table of `deno task bench --scaling`: nanogpt-tiny (4 layers, context 64, batch 12, so a fixed
 * 768-token batch) at widths 128 to 768 with heads of 32 dimensions, and the exponent of step time against
 * width fitted over them.
 */

/** The widths of the scaling table. */
export const SCALING_WIDTHS: readonly number[] = [128, 256, 384, 512, 768];

/** The workload preset the table scales. */
export const SCALING_WORKLOAD = "nanogpt-tiny";

/** nanogpt-tiny's overrides at `width` (heads of 32 dimensions, as nanogpt-tiny's own). */
export function scalingModel(width: number): { width: number; heads: number } {
  return { width, heads: width / 32 };
}

/** The least-squares slope of log(cost) against log(width): cost grows as width^slope. */
export function fitExponent(widths: readonly number[], costs: readonly number[]): number {
  if (widths.length !== costs.length || widths.length < 2) {
    throw new Error(
      `fitExponent needs two or more (width, cost) pairs, got ${widths.length} and ${costs.length}`,
    );
  }
  const x = widths.map(Math.log);
  const y = costs.map(Math.log);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  const sxy = x.reduce((a, xi, i) => a + (xi - mx) * (y[i] - my), 0);
  const sxx = x.reduce((a, xi) => a + (xi - mx) ** 2, 0);
  return sxy / sxx;
}
