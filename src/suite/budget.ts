/**
 * What a job list costs on the reference machine (2 CPU cores, native backend, 2 threads, idle): measured
 * per-step and per-job costs of each workload, and the estimate `deno task reproduce` prints before it
 * starts. The numbers come from short timed runs, interleaved with nanogpt-tiny and scaled by its idle
 * step time (the arithmetic and the load it was measured at are in src/suite/scales.ts). A busy
 * machine takes proportionally longer: the estimate is for an idle one.
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
  "nanogpt-tiny": { stepS: 0.05, setupS: 1.5, pairS: { scion: 5, euclidean: 0.2 }, evalBatchS: 0.02 },
  "nanogpt-tiny-modded": { stepS: 0.05, setupS: 1.5, pairS: { scion: 5, euclidean: 0.2 }, evalBatchS: 0.02 },
  "cnn-tiny": { stepS: 0.025, setupS: 0.8, pairS: { scion: 0.1, euclidean: 0.05 }, evalBatchS: 0.01 },
  "nanogpt-mini": { stepS: 0.145, setupS: 2, pairS: { scion: 7.5, euclidean: 0.3 }, evalBatchS: 0.05 },
  "nanogpt-mini-modded": {
    stepS: 0.145,
    setupS: 2,
    pairS: { scion: 7.5, euclidean: 0.3 },
    evalBatchS: 0.05,
  },
  "cnn-mini": { stepS: 0.044, setupS: 1, pairS: { scion: 0.2, euclidean: 0.1 }, evalBatchS: 0.02 },
};

/** Estimated seconds of one job on the idle reference machine, or undefined for an unmeasured workload. */
export function jobSeconds(config: JobConfig): number | undefined {
  const cost = IDLE_COSTS[config.workload];
  if (!cost) return undefined;
  // A timing job times `steps` steps (plus a warm-up) of each of its variants.
  const variants = typeof config.tags.variants === "string" ? config.tags.variants.split(",").length : 1;
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

/** Sums {@link jobSeconds} over `configs` (the jobs still to run). */
export function estimateBudget(configs: readonly JobConfig[]): BudgetEstimate {
  let seconds = 0, unmeasured = 0;
  for (const c of configs) {
    const s = jobSeconds(c);
    if (s === undefined) unmeasured++;
    else seconds += s;
  }
  return { seconds, unmeasured };
}
