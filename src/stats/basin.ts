/**
 * The LR basin of one optimizer's sweep: the best learning rate, the contiguous range of learning rates
 * whose loss stays within a tolerance of the best, and whether each edge of that range is closed by the
 * grid (a point beyond it above the threshold, or diverged) or open (the basin runs into the grid's end,
 * so the grid should be extended there and the width is only a lower bound).
 *
 * Seeds combine per LR by the median of their losses, a diverged seed counting as +Infinity: an LR is
 * diverged when at least half its seeds diverged, and one seed's outlier moves neither the best LR nor an
 * edge. The same function gives per-seed basins when called with one seed's points.
 */

import { median } from "./sample.ts";

/**
 * Default basin tolerance: an LR is in the basin when its final loss is within 5% (relative) of the best
 * loss. At GPT-2 scale (loss about 3.5) that is about 0.18 nats: several times the 0.023-nat spread of
 * the tuned optimizers in Crawshaw et al. Table 4, yet well below the loss jump of a mistuned LR. A 10%
 * band (0.35 nats) would cover most of a sweep in which nothing diverges, so widths would saturate at
 * the grid edges and stop separating optimizers. Claims and callers may override it.
 */
export const DEFAULT_BASIN_LOSS_TOL = 0.05;

/** One run of a sweep: its learning rate and final loss; a null or non-finite loss means it diverged. */
export interface BasinPoint {
  lr: number;
  loss: number | null;
}

/** One LR of the grid after combining seeds: the median loss (+Infinity when diverged) and the seed count. */
export interface GridPoint {
  lr: number;
  loss: number;
  diverged: boolean;
  seeds: number;
}

/** The LR basin of one sweep (see `analyzeBasin`). */
export interface Basin {
  bestLr: number;
  bestLoss: number;
  /** The absolute loss bound of the basin: bestLoss + lossTol * |bestLoss|. */
  threshold: number;
  /** The basin's edges in LR, interpolated in log10(lr) where the loss crosses the threshold. */
  lrLow: number;
  lrHigh: number;
  /** log10(lrHigh / lrLow): decades of LR inside the basin; a lower bound when an edge is open. */
  width: number;
  /** True when the basin reaches the smallest LR of the grid: extend the grid downwards. */
  lowEdgeOpen: boolean;
  /** True when the basin reaches the largest LR of the grid: extend the grid upwards. */
  highEdgeOpen: boolean;
  /** The smallest and largest LR of the grid. */
  gridLow: number;
  gridHigh: number;
  /** The grid, ascending in LR, seeds combined. */
  grid: GridPoint[];
}

/** Whether a point's loss marks a diverged run. */
export function isDiverged(p: BasinPoint): boolean {
  return p.loss === null || !Number.isFinite(p.loss);
}

/**
 * Combines seeds per LR (median loss, diverged = +Infinity) and sorts the grid by LR. Throws on an LR
 * that is not finite and > 0.
 */
export function combineSeeds(points: readonly BasinPoint[]): GridPoint[] {
  const byLr = new Map<number, number[]>();
  for (const p of points) {
    if (!(p.lr > 0) || !Number.isFinite(p.lr)) {
      throw new Error(`analyzeBasin: learning rates must be finite and > 0, got ${p.lr}`);
    }
    const losses = byLr.get(p.lr) ?? [];
    losses.push(isDiverged(p) ? Infinity : p.loss!);
    byLr.set(p.lr, losses);
  }
  return [...byLr.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([lr, losses]) => {
      const loss = median(losses);
      return { lr, loss, diverged: loss === Infinity, seeds: losses.length };
    });
}

/**
 * The LR basin of a sweep. The best LR is the one with the lowest combined loss; the basin is the
 * contiguous LR range around it whose loss is at most best + lossTol * |best|. Each edge is interpolated
 * linearly in log10(lr) to where the loss crosses that threshold between the last point inside and the
 * first point outside; next to a diverged point or the end of the grid the edge is the last point
 * inside. An edge is open when the basin reaches the grid's end on that side. Returns undefined when
 * every LR diverged (the grid then needs extending downwards).
 */
export function analyzeBasin(
  points: readonly BasinPoint[],
  lossTol = DEFAULT_BASIN_LOSS_TOL,
): Basin | undefined {
  if (!(lossTol >= 0)) throw new Error(`analyzeBasin: lossTol must be >= 0, got ${lossTol}`);
  const grid = combineSeeds(points);
  let best = -1;
  for (let i = 0; i < grid.length; i++) {
    if (!grid[i].diverged && (best < 0 || grid[i].loss < grid[best].loss)) best = i;
  }
  if (best < 0) return undefined;
  const bestLoss = grid[best].loss;
  const threshold = bestLoss + lossTol * Math.abs(bestLoss);
  const inside = (i: number) => grid[i].loss <= threshold;
  let lo = best;
  while (lo > 0 && inside(lo - 1)) lo--;
  let hi = best;
  while (hi < grid.length - 1 && inside(hi + 1)) hi++;
  const edge = (innerIdx: number, outerIdx: number): number => {
    if (outerIdx < 0 || outerIdx >= grid.length || grid[outerIdx].diverged) return grid[innerIdx].lr;
    const inner = grid[innerIdx], outer = grid[outerIdx];
    const frac = (outer.loss - threshold) / (outer.loss - inner.loss);
    return 10 ** (Math.log10(outer.lr) + frac * (Math.log10(inner.lr) - Math.log10(outer.lr)));
  };
  const lrLow = edge(lo, lo - 1);
  const lrHigh = edge(hi, hi + 1);
  return {
    bestLr: grid[best].lr,
    bestLoss,
    threshold,
    lrLow,
    lrHigh,
    width: Math.log10(lrHigh) - Math.log10(lrLow),
    lowEdgeOpen: lo === 0,
    highEdgeOpen: hi === grid.length - 1,
    gridLow: grid[0].lr,
    gridHigh: grid[grid.length - 1].lr,
    grid,
  };
}
