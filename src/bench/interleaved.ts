/**
 * Interleaved step-time benchmark (issue 14): the variants' training steps timed in rounds, every variant
 * once per round, in alternating order (A B C, then C B A, ...), after a warm-up of each. Machine load
 * drifts over minutes; within a round it hits every variant alike, so the per-round samples are paired and
 * the ratio of two variants is judged on the per-round ratios. Every sample records the 1-minute load
 * average, so a report can say what the machine was doing.
 */
import { loadavg } from "node:os";
import { makeOptimizer } from "../optim/mod.ts";
import type { Backend } from "../runtime/backend.ts";
import type { TimedVariant } from "../suite/types.ts";
import type { TimingSample } from "../trace/timings.ts";
import { openStepRunner, type StepRunner } from "./measure.ts";

/** How long and how often to time. */
export interface InterleavedOptions {
  /** Rounds, each timing every variant once (at least 5: a ratio interval needs the pairs). */
  rounds: number;
  /** Steps per sample: a sample is their mean ms per step. */
  stepsPerSample: number;
  /** Untimed steps of each variant before the first round. */
  warmupSteps: number;
  /** Workload overrides (a job's `model`). */
  model?: Record<string, unknown>;
}

/** The fewest rounds a timing claim may rest on. */
export const MIN_TIMING_ROUNDS = 5;

/** Times the variants' steps on `workload` in interleaved rounds (see the module comment). */
export async function interleavedStepTimes(
  backend: Backend,
  workload: string,
  variants: readonly TimedVariant[],
  options: InterleavedOptions,
): Promise<TimingSample[]> {
  if (variants.length < 2) throw new Error("an interleaved timing needs at least two variants");
  if (!Number.isInteger(options.rounds) || options.rounds < MIN_TIMING_ROUNDS) {
    throw new Error(
      `rounds must be an integer >= ${MIN_TIMING_ROUNDS} (paired samples), got ${options.rounds}`,
    );
  }
  for (const key of ["stepsPerSample", "warmupSteps"] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) {
      throw new Error(`${key} must be a positive integer, got ${options[key]}`);
    }
  }
  const runners: StepRunner[] = [];
  try {
    for (const v of variants) {
      runners.push(await openStepRunner(backend, workload, makeOptimizer(v.optimizer, v.opt), options.model));
    }
    for (const r of runners) for (let i = 0; i < options.warmupSteps; i++) await r.step();
    const samples: TimingSample[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = variants.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const [position, i] of order.entries()) {
        const t0 = performance.now();
        for (let k = 0; k < options.stepsPerSample; k++) await runners[i].step();
        const msPerStep = (performance.now() - t0) / options.stepsPerSample;
        samples.push({ round, position, variant: variants[i].variant, msPerStep, load1: loadavg()[0] });
      }
    }
    return samples;
  } finally {
    for (const r of runners) await r.release();
  }
}
