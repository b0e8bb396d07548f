/**
 * Steps to target (AlgoPerf and modded-nanogpt Track 3 style): per workload of the lr-sweep suite, the
 * steps each optimizer needs at its best LR, per seed, to reach a target validation loss.
 *
 * Target rule: the largest over optimizers of the best-LR loss (the median over seeds at each
 * optimizer's best LR, `analyzeBasin`): the loss every optimizer's typical tuned run reaches by the end,
 * so the comparison is of how early each gets there. A seed reaches the target at its first validation
 * evaluation at or below it (so the count is exact to the eval interval; a run that diverged later still
 * reached it); a seed that never does is "not reached" (+Infinity), never a number. The interval is a bootstrap over seeds of the
 * median (not reached stays +Infinity).
 */
import { analyzeBasin } from "../stats/basin.ts";
import { bootstrapEstimate, type Estimate } from "../stats/estimate.ts";
import { median } from "../stats/sample.ts";
import type { RunRecord } from "./assemble.ts";
import { sweepPoints } from "./measure.ts";

/** One optimizer's steps to the target at its best LR. */
export interface TargetRow {
  optimizer: string;
  bestLr: number;
  /** Per seed, in seed order: the step it reached the target at, or null when it never did. */
  seeds: { seed: number; step: number | null }[];
  /** The median over seeds (+Infinity when the median seed did not reach it) with its interval. */
  steps: Estimate;
}

/** The steps-to-target table of one workload. */
export interface StepsToTarget {
  workload: string;
  target: number;
  /** The optimizer whose best-LR loss set the target. */
  setBy: string;
  rows: TargetRow[];
}

/** The first validation step at or below `target`, or null when the run never gets there. */
export function firstStepAtOrBelow(run: RunRecord, target: number): number | null {
  const i = run.val.loss.findIndex((l) => Number.isFinite(l) && l <= target);
  return i < 0 ? null : run.val.step[i];
}

/** Steps to target per optimizer on one lr-sweep workload (undefined when no optimizer converged). */
export function stepsToTarget(runs: readonly RunRecord[], workload: string): StepsToTarget | undefined {
  const basins = [...sweepPoints(runs, workload).entries()].flatMap(([optimizer, points]) => {
    const basin = analyzeBasin(points);
    return basin ? [{ optimizer, basin }] : [];
  });
  if (!basins.length) return undefined;
  const worst = basins.reduce((a, b) => (b.basin.bestLoss > a.basin.bestLoss ? b : a));
  const target = worst.basin.bestLoss;
  const rows = basins.map(({ optimizer, basin }) => {
    const at = runs.filter((r) =>
      r.config.suite === "lr-sweep" && r.config.workload === workload && r.config.optimizer === optimizer &&
      r.lr === basin.bestLr
    ).sort((a, b) => a.config.seed - b.config.seed);
    const seeds = at.map((r) => ({ seed: r.config.seed, step: firstStepAtOrBelow(r, target) }));
    const steps = bootstrapEstimate(seeds.map((s) => s.step ?? Infinity), median);
    return { optimizer, bestLr: basin.bestLr, seeds, steps };
  });
  return { workload, target, setBy: worst.optimizer, rows };
}
