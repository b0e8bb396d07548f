/**
 * One training job from a plain config: validates everything before touching the disk, creates (or resumes)
 * the run directory, trains, and records how the run ended. Sweeps and `reproduce` run many of these.
 */
import { dirname } from "node:path";
import { makeWorkload } from "../models/presets.ts";
import { formatRoutingTable, loadOptimizerModule, makeOptimizer, type OptionValue } from "../optim/mod.ts";
import type { Optimizer } from "../optim/types.ts";
import type { Workload } from "../models/types.ts";
import {
  type GraphOptimization,
  type HeapPolicy,
  openBackend,
  parseBackendName,
  type SessionCache,
} from "../runtime/mod.ts";
import { readColumns } from "../trace/arrow_read.ts";
import { configHash } from "../trace/config_hash.ts";
import { pathExists, writeFileAtomic } from "../trace/fs_util.ts";
import { acquireLock, runLockPath } from "../trace/lock.ts";
import { createRunDir, isFinished, readManifest, updateStatus } from "../trace/run_dir.ts";
import { checkSeed, foldIn } from "../trace/seeds.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { loadData } from "./data_source.ts";
import { GEOMETRIES, type JobConfig } from "../contracts/job_config.ts";
import { SmoothnessObserver } from "../smoothness/estimator.ts";
import { train, type TrainResult } from "./loop.ts";
import { buildStepGraph } from "./step.ts";
import { buildSplitGraphs, type SplitGraphs } from "./split_step.ts";
import { formatBytes, type MemoryPlan, planMemory } from "./memory_plan.ts";

/** Defaults of every optional field of a job config. */
export const JOB_DEFAULTS: Omit<JobConfig, "workload" | "optimizer"> = {
  suite: "",
  tags: {},
  model: {},
  opt: {},
  steps: 200,
  seed: 0,
  backend: "native",
  threads: 2,
  data: "default",
  tokenizer: "char",
  evalEvery: 50,
  evalBatches: 8,
  layersEvery: 10,
  checkpointEvery: 50,
  smoothnessEvery: 0,
  smoothnessNorms: "scion",
};

/**
 * The thread count a job gets when none is given: {@link JOB_DEFAULTS}.threads on every backend. wasm once
 * defaulted to 1 because two threads hung intermittently in Deno; src/runtime/wasm.ts has the cause and fix.
 */
export function defaultThreads(_backend: string): number {
  return JOB_DEFAULTS.threads;
}

/** How a job ended and where its run directory is. */
export interface JobOutcome extends TrainResult {
  dir: string;
  configHash: string;
  /** The last validation loss, when evaluations ran. */
  valLoss: number | null;
  /**
   * Where this call started: "new", "checkpoint" (resumed from one), "step 0" (resumed with no checkpoint:
   * killed before its first one, or the checkpoint was deleted) or "finished" (nothing to do).
   */
  start: "new" | "checkpoint" | "step 0" | "finished";
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  /** Run directory; default `reports/runs/<workload>-<optimizer>-<hash12>`. */
  out?: string;
  resume?: boolean;
  /**
   * Optimizer overrides applied on top of `config.opt` but kept out of the hashed config: how a symbolic
   * value in the config (e.g. `fit: "run:<job id>"`) resolves on this machine (a path to the fit file).
   */
  resolvedOpt?: Record<string, OptionValue>;
  /**
   * ORT's graph optimization level (default "all"). Kept out of the hashed config: it changes no math, only
   * float rounding; the manifest's backend info records it. The regression check varies it.
   */
  graphOptimization?: GraphOptimization;
  /**
   * Whether native convolutions run in ORT's NCHWc layout (default: LMO_NCHWC, else on; src/runtime/nchwc.ts).
   * Kept out of the hashed config like the level above; the manifest's backend info records the block.
   */
  nchwc?: boolean;
  /**
   * Also write the step graph as a standard .onnx file (opens in Netron) to this path, once the run is
   * validated and its directory created (so a refused run overwrites nothing).
   */
  exportOnnx?: string;
  /** Stops the run cleanly before its next step (see TrainSetup.stop); the manifest says "interrupted". */
  stop?: AbortSignal;
  /** Keeps the run's sessions for later runs of this process that build the same ones (worker processes). */
  sessions?: SessionCache;
  /** Called with the routing table text and per-step progress (the CLI draws them). */
  onStart?(info: { dir: string; routing: string; resumedAt: number; start: JobOutcome["start"] }): void;
  onProgress?: Parameters<typeof train>[0]["onProgress"];
}

/** The default run directory of a config. */
export async function defaultRunDir(config: JobConfig): Promise<string> {
  const slug = config.optimizer.replace(/[^A-Za-z0-9_-]+/g, "_");
  return `reports/runs/${config.workload}-${slug}-${(await configHash(config)).slice(0, 12)}`;
}

/** The seed of the training data stream: from `dataSeed` when given, else from the master seed (as always). */
function trainSeed(config: JobConfig): number {
  return foldIn(config.dataSeed ?? config.seed, "data/train");
}

/**
 * Validates a job config and builds what it trains, touching no disk and no backend: the full config, data,
 * workload, optimizer, step graph and batch sizes. Everything that can fail on bad input fails here.
 */
async function prepareJob(input: JobInput, resolvedOpt: Record<string, OptionValue> = {}) {
  const config: JobConfig = {
    ...JOB_DEFAULTS,
    threads: defaultThreads(input.backend ?? JOB_DEFAULTS.backend),
    ...input,
  };
  parseBackendName(config.backend);
  for (
    const key of ["steps", "evalEvery", "evalBatches", "layersEvery", "checkpointEvery", "threads"] as const
  ) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new Error(`${key} must be a positive integer, got ${config[key]}`);
    }
  }
  const accum = config.accum ?? 1;
  if (accum === 1) delete config.accum; // one micro-batch a step hashes as a config without the field
  if (config.splitStep === false) delete config.splitStep; // so does the fused step
  if (!Number.isInteger(accum) || accum < 1) {
    throw new Error(`accum must be a positive integer (micro-batches per step), got ${accum}`);
  }
  checkSeed(config.seed);
  if (config.dataSeed !== undefined) checkSeed(config.dataSeed, "dataSeed");
  if (!Number.isInteger(config.smoothnessEvery) || config.smoothnessEvery < 0) {
    throw new Error(`smoothnessEvery must be an integer >= 0, got ${config.smoothnessEvery}`);
  }
  if (!GEOMETRIES.includes(config.smoothnessNorms)) {
    throw new Error(
      `smoothnessNorms must be one of ${GEOMETRIES.join(", ")}, got "${config.smoothnessNorms}"`,
    );
  }

  const probe = makeWorkload(config.workload, config.model);
  const data = await loadData(probe.kind, config.data, config.tokenizer);
  const workload = makeWorkload(config.workload, { ...data.modelOverrides, ...config.model });
  const optimizer = await loadOptimizer(config.optimizer, { ...config.opt, ...resolvedOpt });
  const stepGraph = buildStepGraph(workload, optimizer, "float32", accum);
  const split = config.splitStep ? buildSplitGraphs(workload, optimizer, "float32", accum) : undefined;
  return { config, data, workload, optimizer, stepGraph, split, sizes: stepSizes(workload, accum) };
}

/** A validated job: what {@link prepareJob} builds. */
type PreparedJob = Awaited<ReturnType<typeof prepareJob>>;

/** The memory plan of a prepared job, run as the fused step or as the split step of `split`. */
function planOf(p: PreparedJob, split: SplitGraphs | undefined): MemoryPlan {
  const run = { steps: p.config.steps, evaluates: p.config.evalBatches > 0, split };
  return planMemory(p.workload, p.stepGraph, p.sizes, run);
}

/**
 * Refuses a native run whose predicted peak memory exceeds this machine's, before anything is written, and
 * says what would fit: the split step, or a smaller batch. Returns the heap policy of a run that fits
 * (src/runtime/heap.ts): retaining freed memory saves page faults but leaves holes (nanogpt-124m's fused
 * step peaked 0.4 GB higher), so only a run predicted to use at most half the machine retains, and never the
 * split step, which exists to save memory.
 */
function checkMemory(p: PreparedJob): HeapPolicy {
  const { config, workload, stepGraph, split, sizes } = p;
  const { peak } = planOf(p, split);
  const total = Deno.systemMemoryInfo().total;
  if (peak <= total) return split || peak > total / 2 ? "release" : "retain";
  const what = `${config.workload} / ${config.optimizer} at batch ${sizes.microBatch}`;
  let fix = "a smaller --model.batch";
  if (!split) {
    const splitPeak = planOf(p, buildSplitGraphs(workload, p.optimizer, "float32", stepGraph.accum)).peak;
    fix = splitPeak <= total
      ? `--split-step (predicted ${formatBytes(splitPeak)})`
      : `a smaller --model.batch (with --split-step: ${formatBytes(splitPeak)})`;
  }
  throw new Error(
    `${what} needs about ${formatBytes(peak)} (deno task run --dry-run), more than this machine's ` +
      `${formatBytes(total)}; run it with ${fix}`,
  );
}

/** A job config as callers give it: defaults fill the rest. */
export type JobInput = Partial<JobConfig> & Pick<JobConfig, "workload" | "optimizer">;

/** The memory and FLOPs plan of a job, from its graphs, without training (`deno task run --dry-run`). */
export async function planJob(input: JobInput): Promise<{ plan: MemoryPlan; kind: "text" | "image" }> {
  const prepared = await prepareJob(input);
  return { plan: planOf(prepared, prepared.split), kind: prepared.workload.kind };
}

/**
 * Runs one job end to end, holding the run directory's lock (`<dir>.lock`; a second writer is refused with
 * the owner's pid and host); see the module comment.
 */
export async function runJob(input: JobInput, options: RunJobOptions = {}): Promise<JobOutcome> {
  // Everything that can fail on bad input fails here, before a run directory exists.
  const prepared = await prepareJob(input, options.resolvedOpt);
  const { config } = prepared;
  const heap = config.backend === "native" ? checkMemory(prepared) : undefined;
  const opened = await openBackend(config.backend, {
    threads: config.threads,
    graphOptimization: options.graphOptimization,
    heap,
    nchwc: options.nchwc,
  });
  const backend = options.sessions ? options.sessions.wrap(opened) : opened;
  const dir = options.out ?? await defaultRunDir(config);
  if (options.stop?.aborted) throw new Error(`stopped before the run started (${options.stop.reason})`);
  await Deno.mkdir(dirname(dir), { recursive: true });
  const lock = acquireLock(runLockPath(dir), `run directory ${dir}`);
  try {
    return await trainJob(dir, { ...prepared, backend }, options);
  } finally {
    lock.release();
  }
}

/** Creates or resumes the run directory (whose lock the caller holds), trains, and records the ending. */
async function trainJob(
  dir: string,
  p: PreparedJob & { backend: Awaited<ReturnType<typeof openBackend>> },
  options: RunJobOptions,
): Promise<JobOutcome> {
  const { config, data, workload, optimizer, stepGraph, split, sizes, backend } = p;
  const existed = pathExists(dir);
  const routing = optimizer.route(workload.params);
  const manifest = await createRunDir(dir, {
    name: `${config.workload} / ${config.optimizer}`,
    config,
    resolved: {
      workload: workload.config,
      optimizer: optimizer.hyper,
      data: data.description,
      step_batch: sizes.record,
    },
    seeds: {
      master: config.seed,
      init: config.seed,
      data_seed: config.dataSeed ?? config.seed,
      data: trainSeed(config),
    },
    backend: { ...backend.info() },
    routing,
  }, { resume: options.resume });
  if (isFinished(manifest.status)) {
    if (options.exportOnnx) writeFileAtomic(options.exportOnnx, stepGraph.model.bytes);
    return { ...await finishedOutcome(dir), dir, configHash: manifest.config_hash, start: "finished" };
  }
  try {
    if (options.exportOnnx) writeFileAtomic(options.exportOnnx, stepGraph.model.bytes);
    const resuming = options.resume === true && existed;
    const checkpoint = resuming ? await loadCheckpoint(dir) : null;
    const start = !resuming ? "new" : checkpoint ? "checkpoint" : "step 0";
    options.onStart?.({ dir, routing: formatRoutingTable(routing), resumedAt: checkpoint?.step ?? 0, start });
    const result = await train({
      workload,
      optimizer,
      stepGraph,
      split,
      backend,
      dir,
      steps: config.steps,
      seed: config.seed,
      train: data.train(sizes.microBatch, sizes.context, trainSeed(config)),
      evalBatches: data.evalBatches(sizes.microBatch, sizes.context, config.evalBatches),
      evalEvery: config.evalEvery,
      checkpointEvery: config.checkpointEvery,
      layersEvery: config.layersEvery,
      itemsPerStep: sizes.itemsPerStep,
      resumeFrom: checkpoint,
      resume: resuming,
      stop: options.stop,
      observer: config.smoothnessEvery
        ? new SmoothnessObserver(workload.params, config.smoothnessEvery, config.smoothnessNorms)
        : undefined,
      onProgress: options.onProgress,
    });
    if (result.status === "diverged") {
      await updateStatus(dir, {
        status: "diverged",
        diverged_step: result.divergedStep!,
        wall_s: result.wallS,
      });
    } else {
      await updateStatus(dir, { status: result.status, wall_s: result.wallS });
    }
    return { ...result, dir, configHash: manifest.config_hash, valLoss: await lastValLoss(dir), start };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    try {
      await updateStatus(dir, { status: "failed", error: message });
    } catch (marking) {
      throw new Error(
        `${message} (and marking ${dir} failed did not work either: ${(marking as Error).message})`,
      );
    }
    throw e;
  }
}

/**
 * The batch sizes of one optimizer step: micro-batch, context (text workloads), samples per step over all
 * its micro-batches, and the record the manifest keeps of them (`resolved.step_batch`).
 */
export function stepSizes(workload: Workload, accum: number) {
  const microBatch = Number(workload.config.batch);
  const context = workload.kind === "text" ? Number(workload.config.context) : null;
  const itemsPerStep = accum * microBatch * (context ?? 1);
  const per = context === null ? "images_per_step" : "tokens_per_step";
  return {
    microBatch,
    context,
    itemsPerStep,
    record: { micro_batch: microBatch, accum, [per]: itemsPerStep },
  };
}

/** A preset by name, or the optimizer of a user module given by path (anything with a "/" or a .ts/.js ending). */
export async function loadOptimizer(
  nameOrPath: string,
  overrides: Record<string, OptionValue>,
): Promise<Optimizer> {
  if (!/[/\\]|\.(ts|js|mjs)$/.test(nameOrPath)) return makeOptimizer(nameOrPath, overrides);
  return (await loadOptimizerModule(nameOrPath)).makeOptimizer(overrides);
}

/** The outcome of a run that already ended (a resume of a finished run does nothing). */
async function finishedOutcome(dir: string): Promise<TrainResult & { valLoss: number | null }> {
  const m = await readManifest(dir);
  const steps = await readColumns(dir, "steps");
  const losses = steps.train_loss as number[];
  return {
    status: m.status === "diverged" ? "diverged" : "done",
    steps: losses.length,
    finalLoss: losses[losses.length - 1] ?? NaN,
    divergedStep: m.diverged_step ?? undefined,
    wallS: m.wall_s ?? 0,
    stepMs: [],
    valLoss: await lastValLoss(dir),
  };
}

/** The last validation loss of a run, or null when it logged none. */
async function lastValLoss(dir: string): Promise<number | null> {
  const losses = (await readColumns(dir, "evals")).loss as number[] | undefined;
  return losses?.length ? losses[losses.length - 1] : null;
}
