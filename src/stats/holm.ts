/** Holm's step-down correction for judging many claims at once (family-wise error rate). */

/**
 * Holm-adjusted p-values, in the input order: sort ascending, multiply the i-th smallest (0-based) by
 * (m - i), carry the running maximum so the order is kept, cap at 1. NaN entries (no test) stay NaN and
 * do not count towards m.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => ({ p, i })).filter(({ p }) => !Number.isNaN(p)).sort((a, b) => a.p - b.p);
  const m = order.length;
  const out = ps.map(() => NaN);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
