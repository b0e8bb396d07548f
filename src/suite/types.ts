/**
 * Suites: a named experiment that expands, at a scale, into a deterministic list of jobs (DESIGN.md
 * decisions 6 and 9). A job is a run config; jobs may depend on the fit of an earlier job's run.
 */
import type { Scale } from "./scales.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import type { OptionValue } from "../optim/mod.ts";
import type { JobSeed } from "./seeds.ts";
import type { SweepMember } from "./sweep.ts";

/** A job config as a suite writes it: defaults fill the rest. */
export type JobSpec = Partial<JobConfig> & Pick<JobConfig, "workload" | "optimizer">;

/** One job of a suite. */
export interface SuiteJob {
  /** A stable, readable id, e.g. `lr-sweep/nanogpt-tiny/adamw/lr=0.001/seed=0`. */
  id: string;
  config: JobSpec;
  /**
   * The id of a job whose run must exist first; its (L0, L1) fit is passed to this job as `--opt.fit`
   * (the Gluon radii of `gluon-vs-tuned`).
   */
  fitFrom?: string;
  /** Set on the jobs of an LR sweep whose grid extends at open basin edges (see ./sweep.ts). */
  sweep?: SweepMember;
  /**
   * Set on a timing job: instead of training, the interleaved step-time benchmark of these variants runs
   * on the config's workload, backend and threads (src/bench/timing_run.ts; its parameters are the tags).
   */
  timing?: TimedVariant[];
}

/** A suite definition (see ./definitions/). */
export interface Suite {
  name: string;
  /** One paragraph: what it reruns and which paper claims it feeds. */
  description: string;
  /** The jobs at a scale, one per seed of `seeds` (see ./seeds.ts) for each experiment. */
  jobs(scale: Scale, seeds: readonly JobSeed[]): SuiteJob[];
  /** Seeds per job at a scale when `--seeds` is not given (default DEFAULT_SEEDS of ./seeds.ts). */
  defaultSeeds?(scale: Scale): number;
}

/** A timed variant of a timing job: the name claims use, the optimizer preset and its overrides. */
export interface TimedVariant {
  variant: string;
  optimizer: string;
  opt: Record<string, OptionValue>;
}

/** The tags of a timing job's config: its parameters, hashed with the config (src/bench/timing_run.ts). */
export interface TimingTags {
  rounds: number;
  steps_per_sample: number;
  warmup_steps: number;
  /** The variant names, comma-separated, in timing order. */
  variants: string;
}
