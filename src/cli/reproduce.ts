/**
 * `deno task reproduce`: runs the papers' experiments as suites (src/suite/definitions) and builds one report
 * with a verdict per paper claim. Every job trains into `<out>/runs/<job slug>-<config hash 12>`, so a
 * rerun finds its finished runs and skips them and resumes the others from their checkpoint (from step 0
 * without one), deleting nothing: an interrupted reproduce continues where it stopped. `--shard i/N` runs every N-th job (plus
 * any earlier job whose fit one of them needs) and prints the `deno task report` command that merges the
 * shards' folders. LR sweeps extend their grids at open basin edges in rounds computed from the run
 * directories in `--out` (src/suite/sweep.ts): an unsharded reproduce runs the rounds one after another; a
 * shard sees only its own runs, so shards are rerun on the merged folder until no job is left to run.
 */
import { parseArgs } from "node:util";
import { selectSuites, SUITES } from "../suite/definitions/mod.ts";
import { PAPER_TEXT_DATA, SCALE_SETTINGS } from "../suite/scales.ts";
import { makeWorkload } from "../models/presets.ts";
import { assembleReport, loadRuns, verdictTableText } from "../report/assemble.ts";
import { type Scale, SCALES } from "../suite/scales.ts";
import { writeReport } from "../report/html.ts";
import { type BackendName, BACKENDS, parseBackendName } from "../runtime/mod.ts";
import { fitRun, writeFitFile } from "../smoothness/run_fit.ts";
import { expandSuites, fullConfig, jobLines, parseShard, type Shard, shardJobs } from "../suite/jobs.ts";
import { estimateBudget } from "../suite/budget.ts";
import { DEFAULT_SEEDS, seedList, suiteSeedCount } from "../suite/seeds.ts";
import { maxExtensionJobs, type SweepOutcome, withExtensions } from "../suite/sweep.ts";
import type { SuiteJob } from "../suite/types.ts";
import { readColumns } from "../trace/arrow_read.ts";
import { configHash } from "../trace/config_hash.ts";
import { pathExists } from "../trace/fs_util.ts";
import { acquireLock, describeOwner } from "../trace/lock.ts";
import {
  assertConfigIntact,
  isFinished,
  type Manifest,
  manifestPath,
  readManifest,
} from "../trace/run_dir.ts";
import { defaultThreads, JOB_DEFAULTS, type JobOutcome, runJob } from "../train/job.ts";
import { runTimingJob } from "../bench/timing_run.ts";
import { intOption, runMain } from "./args.ts";
import { formatDuration, ProgressBar } from "./progress.ts";
import { stopOnSignals } from "./stop.ts";
import { JobPool } from "./job_pool.ts";
import type { JobConfig } from "../contracts/job_config.ts";

/**
 * Jobs trained at once by default. A fixed number, not the machine's core count, so that the default
 * configs (whose thread count is part of their hash and of their float rounding) are the same everywhere.
 */
export const DEFAULT_WORKERS = 2;

const HELP = `deno task reproduce [options]

Runs the papers' experiments (suites of jobs) and writes one HTML report with a verdict per paper claim.
Finished runs are reused, interrupted ones resumed: rerun the same command to continue. It prints the
expected wall time (idle 2-core machine) before it starts.

  --scale S          ${
  SCALES.join(" | ")
} (default tiny: 23 minutes measured on a 2-core machine; small: about 103 minutes; paper: GPUs)
  --suite NAME       ${SUITES.map((s) => s.name).join(" | ")} | all (default all)
  --seeds N          seeds per job of every suite: --seed .. --seed+N-1 (default ${DEFAULT_SEEDS}, the fewest a verdict
                     rests on, and ${SCALE_SETTINGS.small.gluonSeeds} for the Gluon suites at small scale; fewer give inconclusive verdicts)
  --seed N           first master (initialisation) seed (default 0)
  --data-seed N      first data-order seed, varied apart from --seed (default: the data order follows --seed,
                     as in runs made without it); recorded in each manifest's seeds.data_seed
  --backend NAME     ${BACKENDS.join(" | ")} (default ${JOB_DEFAULTS.backend})
  --workers N        jobs trained at once, in worker processes that keep their sessions from job to job
                     (default ${DEFAULT_WORKERS}; webgpu: 1).
                     On 2 cores, 2 one-thread jobs do about 1.5x the steps of one 2-thread job. A timing
                     job runs alone; a job that needs another's fit waits for it
  --threads N        intra-op threads per run (default 1 with --workers > 1, else ${JOB_DEFAULTS.threads})
  --data SPEC        data of the language-model jobs, as deno task run --data takes it (e.g. fineweb:DIR);
                     paper scale reads FineWeb shards (default ${PAPER_TEXT_DATA}) and refuses Moby Dick
  --out DIR          output folder (default reports/reproduce-<scale>): runs/, fits/, index.html,
                     verdicts.json, one .svg per chart
  --shard i/N        run every N-th job starting at i (0-based) and print the command that merges the shards
  --list-jobs        print one JSON line per job (of the shard, with --shard) and exit
  -h, --help         this text

One reproduce writes an output folder at a time (lock <out>/reproduce.lock; a second one is refused with
the owner's pid and host; give each shard its own --out). SIGINT or SIGTERM stop after the current step
with a checkpoint; rerun the same command to continue.

LR sweeps extend their grid by its factor beyond an end where the basin is open (the best LR at the end,
or every LR diverged), up to the scale's cap, once all of the sweep's runs in --out have finished. The
extension jobs come after the base jobs in the list and are computed from the run directories present, so
--list-jobs shows the rounds known so far. With --shard: merge the shards' runs/ into one folder, run every
shard again with that folder as --out, and repeat until a pass trains nothing (each pass prints how many
jobs it ran).

Suites:
${SUITES.map((s) => `  ${s.name}: ${s.description}`).join("\n")}`;

/** The parsed command line. */
export interface ReproduceArgs {
  scale: Scale;
  suite: string;
  /** `--seeds N`; undefined: each suite's default at the scale (src/suite/seeds.ts suiteSeedCount). */
  seeds: number | undefined;
  seed: number;
  dataSeed: number | undefined;
  backend: BackendName;
  threads: number;
  workers: number;
  data: string | undefined;
  out: string;
  shard: Shard | undefined;
  listJobs: boolean;
}

/** Parses the command line (null for --help); bad values throw naming the flag. */
export function parseReproduceArgs(argv: string[]): ReproduceArgs | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scale: { type: "string", default: "tiny" },
      suite: { type: "string", default: "all" },
      seeds: { type: "string" },
      seed: { type: "string", default: "0" },
      "data-seed": { type: "string" },
      backend: { type: "string", default: JOB_DEFAULTS.backend },
      threads: { type: "string" },
      workers: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      shard: { type: "string" },
      "list-jobs": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}"; see --help`);
  if (!(SCALES as readonly string[]).includes(values.scale)) {
    throw new Error(`--scale must be one of ${SCALES.join(", ")}, got "${values.scale}"`);
  }
  const scale = values.scale as Scale;
  selectSuites(values.suite);
  const workers = intOption("workers", values.workers) ?? (values.backend === "webgpu" ? 1 : DEFAULT_WORKERS);
  if (scale === "paper" && (values.data === "default" || values.data === "moby-dick")) {
    throw new Error(
      `--scale paper trains the language models on 2^19 = 524,288 tokens a step; the embedded Moby Dick corpus ` +
        `is about 300k GPT-2 tokens and would be seen hundreds of times. Pass FineWeb shards with ` +
        `--data fineweb:DIR (default ${PAPER_TEXT_DATA}), or use --scale tiny or small for Moby Dick.`,
    );
  }
  return {
    scale,
    suite: values.suite,
    seeds: intOption("seeds", values.seeds),
    seed: intOption("seed", values.seed)!,
    dataSeed: intOption("data-seed", values["data-seed"]),
    backend: parseBackendName(values.backend),
    threads: intOption("threads", values.threads) ?? (workers > 1 ? 1 : defaultThreads(values.backend)),
    workers,
    data: values.data,
    out: values.out ?? `reports/reproduce-${scale}`,
    shard: values.shard === undefined ? undefined : parseShard(values.shard),
    listJobs: values["list-jobs"],
  };
}

/** The seeds per job of the selected suites, e.g. `3 seeds` or `3 seeds (gluon-smoothness: 5)`. */
export function seedsText(args: ReproduceArgs): string {
  const counts = selectSuites(args.suite).map((s) => ({
    name: s.name,
    n: suiteSeedCount(s, args.scale, args.seeds),
  }));
  const common = counts.every((c) => c.n === counts[0].n) ? counts[0].n : DEFAULT_SEEDS;
  const others = counts.filter((c) => c.n !== common).map((c) => `${c.name}: ${c.n}`);
  return `${common} seeds${others.length ? ` (${others.join(", ")})` : ""}`;
}

/**
 * The jobs of the command line: the suites expanded at the scale and seeds, with the backend, threads and
 * (for language-model jobs) data of the command line.
 */
export async function commandJobs(args: ReproduceArgs): Promise<SuiteJob[]> {
  const jobs = await expandSuites(
    selectSuites(args.suite),
    args.scale,
    (suite) => seedList(suiteSeedCount(suite, args.scale, args.seeds), args.seed, args.dataSeed),
  );
  return jobs.map((job) => {
    const text = args.data !== undefined &&
      makeWorkload(job.config.workload, job.config.model).kind === "text";
    return {
      ...job,
      config: {
        ...job.config,
        backend: args.backend,
        threads: args.threads,
        ...(text ? { data: args.data } : {}),
      },
    };
  });
}

/** The jobs a shard runs: its own, plus (first, in list order) every earlier job whose fit they need. */
export function jobsWithDependencies(all: readonly SuiteJob[], selected: readonly SuiteJob[]): SuiteJob[] {
  const byId = new Map(all.map((j) => [j.id, j]));
  const needed = new Set<string>();
  const add = (job: SuiteJob) => {
    if (needed.has(job.id)) return;
    needed.add(job.id);
    if (!job.fitFrom) return;
    const dependency = byId.get(job.fitFrom);
    if (!dependency) {
      throw new Error(`job ${job.id} needs the fit of ${job.fitFrom}, which is not in the job list`);
    }
    add(dependency);
  };
  selected.forEach(add);
  return all.filter((j) => needed.has(j.id));
}

/** A job id as a file name: "/" -> "_", other unsafe characters -> "-". */
export function jobSlug(id: string): string {
  return id.replaceAll("/", "_").replace(/[^A-Za-z0-9._-]+/g, "-");
}

/** The run directory of a job: `<out>/runs/<slug>-<first 12 hex digits of its config hash>`. */
export async function runDirOf(out: string, job: SuiteJob): Promise<string> {
  return `${out}/runs/${jobSlug(job.id)}-${(await configHash(fullConfig(job))).slice(0, 12)}`;
}

/** What a job did this time ("restarted": resumed from step 0, as it had no checkpoint). */
export type JobAction = "trained" | "resumed" | "restarted" | "reused" | "interrupted" | "failed";

/** How one job went. */
export interface JobSummary {
  id: string;
  dir: string;
  action: JobAction;
  /** The run's status at the end ("failed" when the job threw). */
  status: string;
  valLoss: number | null;
  wallS: number;
  error?: string;
}

/** Options of {@link reproduceJobs}. */
export interface ReproduceJobsOptions {
  /** Output folder: runs go to `<out>/runs`, fit files to `<out>/fits`. */
  out: string;
  /** Where the one-line summaries go (default console.log). */
  print?: (line: string) => void;
  /** Draw the progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** When aborted, the running jobs stop cleanly (status "interrupted") and no further job starts. */
  stop?: AbortSignal;
  /**
   * Jobs trained at once, each in a child process (src/cli/job_pool.ts); default 1: one at a time, in this
   * process. A timing job always runs alone.
   */
  workers?: number;
}

/** How a finished sweep run in `out` ended (undefined: no finished run, or one with no validation loss). */
export async function sweepOutcomeIn(out: string, job: SuiteJob): Promise<SweepOutcome | undefined> {
  const dir = await runDirOf(out, job);
  if (!pathExists(manifestPath(dir))) return undefined;
  const { status } = await readManifest(dir);
  if (status === "diverged") return { loss: null };
  if (status !== "done") return undefined;
  const loss = await lastValLoss(dir);
  return loss === null ? undefined : { loss };
}

/** The job list with every LR-extension round the runs in `out` allow. */
export async function listedJobs(args: ReproduceArgs): Promise<SuiteJob[]> {
  return await withExtensions(await commandJobs(args), (job) => sweepOutcomeIn(args.out, job));
}

/** The manifest of a finished run in `dir` (checked against its config hash), or null. */
async function finishedRun(dir: string): Promise<Manifest | null> {
  if (!pathExists(manifestPath(dir))) return null;
  const manifest = await readManifest(dir);
  await assertConfigIntact(dir, manifest);
  return isFinished(manifest.status) ? manifest : null;
}

/** The last validation loss a run logged, or null. */
async function lastValLoss(dir: string): Promise<number | null> {
  const losses = (await readColumns(dir, "evals")).loss ?? [];
  return losses.length ? Number(losses[losses.length - 1]) : null;
}

/** The action a job's outcome reports. */
function actionOf(outcome: JobOutcome): JobAction {
  if (outcome.status === "interrupted") return "interrupted";
  return {
    new: "trained",
    checkpoint: "resumed",
    "step 0": "restarted",
    finished: "reused",
  }[outcome.start] as JobAction;
}

/**
 * Runs the jobs in order into `<out>/runs`: a finished run is reused, any other existing run resumed from
 * its checkpoint (or from step 0 when it has none); no run directory is ever deleted. The whole call holds
 * the output folder's lock (a second writer is refused with the owner's pid and host), and each job its
 * run directory's lock. A job with `fitFrom` gets the (L0, L1) fit of that job's run, written
 * to `<out>/fits/<slug>.json`. A job that fails is reported and the others go on.
 */
export async function reproduceJobs(
  jobs: readonly SuiteJob[],
  options: ReproduceJobsOptions,
): Promise<JobSummary[]> {
  const print = options.print ?? console.log;
  await Deno.mkdir(options.out, { recursive: true });
  const lock = acquireLock(`${options.out}/${OUT_LOCK}`, `output folder ${options.out}`);
  try {
    if (lock.staleOwner) {
      print(`took over the lock of ${describeOwner(lock.staleOwner)}, which is no longer running`);
    }
    return await runJobsInto(jobs, options, print);
  } finally {
    lock.release();
  }
}

/** The lock file that keeps a second reproduce out of an output folder while one is writing it. */
export const OUT_LOCK = "reproduce.lock";

/** {@link reproduceJobs} once the output folder's lock is held. */
async function runJobsInto(
  jobs: readonly SuiteJob[],
  options: ReproduceJobsOptions,
  print: (line: string) => void,
): Promise<JobSummary[]> {
  const dirs = new Map<string, string>();
  for (const job of jobs) dirs.set(job.id, await runDirOf(options.out, job));
  const totalSteps = jobs.reduce((n, j) => n + fullConfig(j).steps, 0);
  const bar = new ProgressBar("reproduce", totalSteps, options.progress);
  const workers = options.workers ?? 1;
  const pool = workers > 1 ? new JobPool(workers, options.stop) : undefined;
  const summaries = new Map<number, JobSummary>();
  // Steps of the finished jobs, and of each running one; the bar shows their sum.
  let doneSteps = 0;
  const runningSteps = new Map<number, number>();
  const progress = (index: number, step: number, text: string) => {
    runningSteps.set(index, step);
    const running = [...runningSteps.values()].reduce((a, b) => a + b, 0);
    const others = runningSteps.size > 1 ? ` (+${runningSteps.size - 1} running)` : "";
    bar.update(doneSteps + running, text + others);
  };
  const runOne = async (job: SuiteJob, index: number): Promise<void> => {
    const dir = dirs.get(job.id)!;
    const config = fullConfig(job);
    const status = (step: number) => `job ${index + 1}/${jobs.length} ${job.id} step ${step}/${config.steps}`;
    const summary = await jobSummary(job, config, dir, {
      ...options,
      pool,
      fit: () => fitFileFor(job.fitFrom!, dirs, options.out),
      onProgress: (step) => progress(index, step, status(step)),
    });
    runningSteps.delete(index);
    doneSteps += config.steps;
    bar.finish();
    print(summaryLine(summary, index, jobs.length));
    summaries.set(index, summary);
  };
  // Up to `workers` jobs at once, in list order; a timing job runs alone, and a job waits for the run it
  // takes its fit from.
  const ended = new Map<string, Promise<void>>();
  const active = new Set<Promise<void>>();
  for (const [index, job] of jobs.entries()) {
    const alone = workers === 1 || !!job.timing;
    if (alone) await Promise.all(active);
    else while (active.size >= workers) await Promise.race(active);
    if (job.fitFrom) await ended.get(job.fitFrom);
    if (options.stop?.aborted) break;
    const done = runOne(job, index);
    ended.set(job.id, done);
    active.add(done);
    done.finally(() => active.delete(done));
    if (alone) await done;
  }
  await Promise.all(active);
  await pool?.close();
  bar.finish();
  return [...summaries.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
}

/** How {@link jobSummary} runs a job. */
interface JobRunOptions extends ReproduceJobsOptions {
  /** The worker processes, when jobs train there. */
  pool: JobPool | undefined;
  /** The path of the fit file of the job's `fitFrom` (written on demand). */
  fit(): Promise<string>;
  onProgress(step: number): void;
}

/**
 * Runs one job (reusing a finished run, restarting an unfinished timing, resuming anything else) in this
 * process, or in a worker process of the pool, and sums up how it went; an error becomes a "failed" summary.
 */
async function jobSummary(
  job: SuiteJob,
  config: JobConfig,
  dir: string,
  o: JobRunOptions,
): Promise<JobSummary> {
  try {
    const finished = await finishedRun(dir);
    if (!finished && job.timing) {
      // A timing has no checkpoint: an unfinished one restarts, so its rounds stay side by side.
      if (pathExists(dir)) await Deno.remove(dir, { recursive: true });
      const timed = await runTimingJob(config, job.timing, dir);
      return { id: job.id, dir, action: "trained", status: "done", valLoss: null, wallS: timed.wallS };
    }
    let outcome: JobOutcome | null = null;
    if (!finished) {
      const resolvedOpt = job.fitFrom ? { fit: await o.fit() } : undefined;
      const onProgress = (p: { step: number }) => o.onProgress(p.step);
      outcome = o.pool
        ? await o.pool.run({ config, out: dir, resolvedOpt }, { onProgress })
        : await runJob(config, { out: dir, resume: true, stop: o.stop, resolvedOpt, onProgress });
    }
    return {
      id: job.id,
      dir,
      action: outcome ? actionOf(outcome) : "reused",
      status: outcome?.status ?? finished!.status,
      valLoss: outcome ? outcome.valLoss : await lastValLoss(dir),
      wallS: outcome?.wallS ?? finished!.wall_s ?? 0,
    };
  } catch (error) {
    return {
      id: job.id,
      dir,
      action: "failed",
      status: "failed",
      valLoss: null,
      wallS: 0,
      error: (error as Error).message,
    };
  }
}

/** Fits the run of job `id` and writes the fit file Gluon reads; returns its path. */
async function fitFileFor(id: string, dirs: ReadonlyMap<string, string>, out: string): Promise<string> {
  const dir = dirs.get(id);
  if (!dir) throw new Error(`needs the fit of ${id}, which is not in the job list`);
  if (!pathExists(manifestPath(dir))) {
    throw new Error(`needs the fit of ${id}, whose run ${dir} does not exist`);
  }
  const { status } = await readManifest(dir);
  if (status !== "done") {
    throw new Error(`needs the fit of ${id}, whose run ${dir} ended with status ${status}`);
  }
  const path = `${out}/fits/${jobSlug(id)}.json`;
  await Deno.mkdir(`${out}/fits`, { recursive: true });
  await writeFitFile(path, (await fitRun(dir)).fits);
  return path;
}

/** "[ 3/65] trained  done      val 2.7369   14.3 s  lr-sweep/..." (or the error of a failed job). */
function summaryLine(s: JobSummary, index: number, total: number): string {
  const n = String(total).length;
  const position = `[${String(index + 1).padStart(n)}/${total}]`;
  if (s.action === "failed") return `${position} FAILED   ${s.id}: ${s.error}`;
  const val = s.valLoss === null ? "-" : s.valLoss.toFixed(4);
  return `${position} ${s.action.padEnd(9)} ${s.status.padEnd(8)} val ${val.padEnd(8)} ${
    s.wallS.toFixed(1).padStart(7)
  } s  ${s.id}`;
}

/**
 * "expected wall time about 24:10 on an idle 2-core machine for 96 jobs to run (0 finished), plus up to
 * 6:00 for 72 LR-extension jobs": the budget of the jobs without a finished run.
 */
async function budgetLine(jobs: readonly SuiteJob[], out: string, workers: number): Promise<string> {
  const pending: SuiteJob[] = [];
  for (const job of jobs) if (!await finishedRun(await runDirOf(out, job))) pending.push(job);
  const base = estimateBudget(pending.map(fullConfig), workers);
  const extension = maxExtensionJobs(jobs);
  const extra = estimateBudget(extension.map(fullConfig), workers);
  const unmeasured = base.unmeasured
    ? ` (${base.unmeasured} job(s) of unmeasured workloads not counted)`
    : "";
  const more = extension.length
    ? `, plus up to ${formatDuration(extra.seconds)} for up to ${extension.length} LR-extension job(s)`
    : "";
  return `expected wall time about ${formatDuration(base.seconds)} on an idle 2-core machine with ` +
    `${workers} worker(s) for ${pending.length} job(s) to run (${
      jobs.length - pending.length
    } finished)${unmeasured}${more}`;
}

/**
 * Throws before any job runs when the FineWeb shard folder of the language-model jobs is missing (the paper
 * scale's default data), naming the fix; `--list-jobs` runs nothing and skips this check.
 */
async function requireTextData(jobs: readonly SuiteJob[]): Promise<void> {
  const folders = new Set(jobs.map((j) => fullConfig(j).data).filter((d) => d.startsWith("fineweb:")));
  for (const data of folders) {
    const dir = data.slice("fineweb:".length);
    if (!pathExists(dir) || !(await Deno.stat(dir)).isDirectory) {
      throw new Error(
        `the language-model jobs read FineWeb shards from ${dir} (--data ${data}), which does not exist. ` +
          `Download them with modded-nanogpt's data/cached_fineweb10B.py and pass --data fineweb:DIR.`,
      );
    }
  }
}

/** Runs `deno task reproduce` with `argv`; lines go to `print`. Returns the exit code. */
export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const args = parseReproduceArgs(argv);
  if (!args) {
    print(HELP);
    return 0;
  }
  const mineOf = (all: SuiteJob[]) => args.shard ? shardJobs(all, args.shard) : all;
  const all = await listedJobs(args);
  const mine = mineOf(all);
  if (args.listJobs) {
    for (const line of await jobLines(mine)) print(line);
    return 0;
  }
  await requireTextData(mine);
  const jobs = jobsWithDependencies(all, mine);
  const shardText = args.shard ? ` (shard ${args.shard.index}/${args.shard.count} of ${all.length})` : "";
  const seeds = seedsText(args);
  print(
    `reproduce: ${mine.length} jobs${shardText}, ${args.scale} scale, suite ${args.suite}, ${seeds}, -> ${args.out}`,
  );
  if (jobs.length > mine.length) {
    print(`also runs ${jobs.length - mine.length} job(s) of other shards whose fit this shard's jobs need`);
  }
  print(await budgetLine(jobs, args.out, args.workers));
  const t0 = performance.now();
  const stop = stopOnSignals();
  const summaries: JobSummary[] = [];
  const ran = new Set<string>();
  for (let round = 0; !stop.reason(); round++) {
    const listed = round === 0 ? all : await listedJobs(args);
    const todo = jobsWithDependencies(listed, mineOf(listed)).filter((j) => !ran.has(j.id));
    if (!todo.length) break;
    if (round > 0) print(`LR grid extension round ${round}: ${todo.length} job(s) beyond open basin edges`);
    todo.forEach((j) => ran.add(j.id));
    summaries.push(
      ...await reproduceJobs(todo, { out: args.out, print, stop: stop.signal, workers: args.workers }),
    );
  }
  const why = stop.reason();
  if (why) {
    print(
      `\n${why.reason}: stopped after ${summaries.length} of ${ran.size} jobs; the interrupted run keeps ` +
        `its checkpoint. Rerun the same command to continue.`,
    );
    return why.exitCode;
  }
  const failed = summaries.filter((s) => s.action === "failed");
  const trained = summaries.filter((s) => s.action !== "reused" && s.action !== "failed").length;
  print(
    `${summaries.length} jobs: ${trained} trained, ${
      summaries.length - trained - failed.length
    } reused, ${failed.length} failed`,
  );
  if (args.shard) {
    print(
      `shard ${args.shard.index}/${args.shard.count} done. When every shard is done, copy their output folders ` +
        `to one machine and merge them with:\n  deno task report ${args.out} <the other shards' folders...> ` +
        `--scale ${args.scale} --out <report folder>\nLR sweeps extend once all their runs are in one folder: ` +
        `rerun the shards with the merged folder as --out until a pass trains nothing.`,
    );
  } else {
    const { runs, skipped } = await loadRuns(
      summaries.filter((s) => s.action !== "failed").map((s) => s.dir),
    );
    const report = await assembleReport(runs, {
      scale: args.scale,
      title: `lmo-bench reproduction (${args.scale} scale)`,
      command: ["deno task reproduce", ...argv].join(" "),
      config: {
        scale: args.scale,
        suite: args.suite,
        seeds,
        seed: args.seed,
        data_seed: args.dataSeed ?? "follows seed",
        backend: args.backend,
        threads: args.threads,
        workers: args.workers,
        data: args.data ?? "suite default",
        out: args.out,
        jobs: jobs.length,
      },
      outDir: args.out,
      skipped,
    });
    const { html, svgs, verdicts, markdown } = await writeReport(args.out, report);
    print(
      `\nreport: ${html} (${svgs.length} charts, also as SVG); verdicts as data: ${verdicts}, as Markdown: ${markdown}\n`,
    );
    print(verdictTableText(report.verdicts));
  }
  print(`\ntotal wall time ${formatDuration((performance.now() - t0) / 1000)}`);
  for (const f of failed) print(`failed: ${f.id}: ${f.error}`);
  return failed.length ? 1 : 0;
}

if (import.meta.main) runMain((argv) => main(argv));
