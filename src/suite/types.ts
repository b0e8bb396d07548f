/**
 * Suites: a named experiment that expands, at a scale, into a deterministic list of jobs (DESIGN.md
 * decisions 6 and 9). A job is a run config; jobs may depend on the fit of an earlier job's run.
 */
import type { Scale } from "./scales.ts";
import type { JobConfig } from "../contracts/job_config.ts";

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
}

/** A suite definition (see ./definitions/). */
export interface Suite {
  name: string;
  /** One paragraph: what it reruns and which paper claims it feeds. */
  description: string;
  /** The jobs at a scale with `seeds` seeds (seed i of a job is i). */
  jobs(scale: Scale, seeds: number): SuiteJob[];
}
