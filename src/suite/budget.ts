/**
 * What a job list costs on the reference machine (2 CPU cores, native backend, idle): measured per-step and
 * per-job costs of each workload, and the estimate `deno task reproduce` prints before it starts. The costs
 * are those of one worker of the default pool (`--workers 2`, 1 thread each, the other core busy with the
 * other worker), read off the steps tables of full reproduce runs (the runs and their numbers are in
 * src/suite/scales.ts). A busy machine takes proportionally longer: the estimate is for an idle one.
 */
import type { JobConfig } from "../contracts/job_config.ts";

/** The cost of one workload's jobs on the idle reference machine, in seconds. */
export interface WorkloadCost {
  /** One training step (forward, backward, update). */
  stepS: number;
  /** Building a job: data, graphs, sessions, first-step compilation. */
  setupS: number;
  /** One smoothness pair (L-hat of every layer) in each geometry; nearly free when absent. */
  pairS: { scion: number; euclidean: number };
  /** One validation batch. */
  evalBatchS: number;
}

/** Costs of the workloads the tiny and small scales use (how each was measured: src/suite/scales.ts). */
export const IDLE_COSTS: Readonly<Record<string, WorkloadCost>> = {
  "nanogpt-tiny": { stepS: 0.15, setupS: 1.2, pairS: { scion: 0.8, euclidean: 0.1 }, evalBatchS: 0.04 },
  "nanogpt-tiny-modded": { stepS: 0.16, setupS: 1.5, pairS: { scion: 0.8, euclidean: 0.1 }, evalBatchS: 0.04 },
  "cnn-tiny": { stepS: 0.065, setupS: 1, pairS: { scion: 0.1, euclidean: 0.05 }, evalBatchS: 0.015 },
  "nanogpt-mini": { stepS: 0.4, setupS: 1.5, pairS: { scion: 1, euclidean: 0.2 }, evalBatchS: 0.06 },
  "nanogpt-mini-modded": { stepS: 0.43, setupS: 2, pairS: { scion: 1, euclidean: 0.2 }, evalBatchS: 0.07 },
  "cnn-mini": { stepS: 0.11, setupS: 1.2, pairS: { scion: 0.2, euclidean: 0.1 }, evalBatchS: 0.03 },
};

/** Whether a config is a timing job's (its tags name the timed variants). */
function isTiming(config: JobConfig): boolean {
  return typeof config.tags.variants === "string";
}

/** Estimated seconds of one job on the idle reference machine, or undefined for an unmeasured workload. */
export function jobSeconds(config: JobConfig): number | undefined {
  const cost = IDLE_COSTS[config.workload];
  if (!cost) return undefined;
  // A timing job times `steps` steps (plus a warm-up) of each of its variants.
  const variants = isTiming(config) ? String(config.tags.variants).split(",").length : 1;
  const pairs = config.smoothnessEvery ? Math.floor(config.steps / config.smoothnessEvery) : 0;
  const evals = Math.ceil(config.steps / config.evalEvery) * config.evalBatches;
  return variants * (cost.setupS + config.steps * cost.stepS) + pairs * cost.pairS[config.smoothnessNorms] +
    evals * cost.evalBatchS;
}

/** The estimate for a job list: seconds over the measured workloads, and the jobs left out of it. */
export interface BudgetEstimate {
  seconds: number;
  unmeasured: number;
}

/**
 * A step of one process with both cores (`--workers 1`, 2 threads) over a step of one worker of the
 * default pool: nanogpt-tiny 0.105 / 0.15 s, nanogpt-mini 0.26 / 0.4 s (src/suite/scales.ts).
 */
export const SOLO_STEP_RATIO = 0.7;

/**
 * The wall time of `configs` (the jobs still to run) with `workers` jobs at once: {@link jobSeconds} summed
 * and shared among the workers, except timing jobs, which run alone; one worker runs each job with both
 * cores ({@link SOLO_STEP_RATIO}).
 */
export function estimateBudget(configs: readonly JobConfig[], workers: number): BudgetEstimate {
  let pooled = 0, alone = 0, unmeasured = 0;
  for (const c of configs) {
    const s = jobSeconds(c);
    if (s === undefined) unmeasured++;
    else if (isTiming(c)) alone += s;
    else pooled += s;
  }
  const seconds = workers > 1 ? pooled / workers + alone : (pooled + alone) * SOLO_STEP_RATIO;
  return { seconds, unmeasured };
}
