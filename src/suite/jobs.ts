/**
 * Job lists: expanding suites, sharding them (`--shard i/N` runs every N-th job), and printing them as one
 * JSON line per job (`--list-jobs`). The same list on every machine is what makes shards merge.
 */
import type { Scale } from "./scales.ts";
import { configHash } from "../trace/config_hash.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import { makeWorkload } from "../models/presets.ts";
import { JOB_DEFAULTS, stepSizes } from "../train/job.ts";
import type { JobSeed } from "./seeds.ts";
import type { Suite, SuiteJob } from "./types.ts";

/** A shard: this process runs the jobs whose position p satisfies p % count == index. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `i/N` (0 <= i < N), or throws saying what is wrong. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new Error(
      `--shard must be i/N with 0 <= i < N (e.g. 0/3 for the first of three shards), got "${text}"`,
    );
  }
  return { index, count };
}

/** The full config of a job (defaults filled in), as hashed and stored. */
export function fullConfig(job: SuiteJob): JobConfig {
  return { ...JOB_DEFAULTS, ...job.config };
}

/**
 * The jobs of the suites in order, each suite over `seeds` (or over the seeds `seeds(suite)` gives it). A
 * job that several suites share (same id) is kept once, where it first appears; the same id with a
 * different config is an error, as is a dependency that does not come earlier.
 */
export async function expandSuites(
  suites: readonly Suite[],
  scale: Scale,
  seeds: readonly JobSeed[] | ((suite: Suite) => readonly JobSeed[]),
): Promise<SuiteJob[]> {
  const seen = new Map<string, string>();
  const jobs: SuiteJob[] = [];
  for (const s of suites) {
    const suiteSeeds = typeof seeds === "function" ? seeds(s) : seeds;
    if (!suiteSeeds.length) throw new Error("a suite needs at least one seed (--seeds N, N >= 1)");
    for (const raw of s.jobs(scale, suiteSeeds)) {
      const job = { ...raw, config: { suite: s.name, ...raw.config } };
      const hash = await configHash(fullConfig(job));
      const earlier = seen.get(job.id);
      if (earlier !== undefined) {
        if (earlier !== hash) throw new Error(`job id ${job.id} names two different configs`);
        continue;
      }
      if (job.fitFrom && !seen.has(job.fitFrom)) {
        throw new Error(`job ${job.id} needs ${job.fitFrom}, which must come earlier`);
      }
      seen.set(job.id, hash);
      jobs.push(job);
    }
  }
  return jobs;
}

/** The jobs of one shard: every `count`-th job starting at `index`. */
export function shardJobs<T>(jobs: readonly T[], shard: Shard): T[] {
  return jobs.filter((_, p) => p % shard.count === shard.index);
}

/**
 * One JSON line per job (what `--list-jobs` prints): position, id, suite, config hash, seeds, and the batch
 * of one optimizer step (micro-batch, accum, tokens or images per step), all without loading any data.
 */
export async function jobLines(jobs: readonly SuiteJob[]): Promise<string[]> {
  return await Promise.all(jobs.map(async (j, position) => {
    const config = fullConfig(j);
    const { record } = stepSizes(makeWorkload(config.workload, config.model), config.accum ?? 1);
    return JSON.stringify({
      position,
      id: j.id,
      suite: config.suite,
      config_hash: await configHash(config),
      seed: config.seed,
      ...(config.dataSeed === undefined ? {} : { data_seed: config.dataSeed }),
      ...record,
    });
  }));
}
