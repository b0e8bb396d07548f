/**
 * `deno task check`: the regression check. Every optimizer preset trains each tiny workload for a few
 * dozen steps with fixed seeds and threads; the losses and per-layer norms are compared with a committed
 * baseline (`reports/baseline/<backend>.json`) within a stated tolerance. A change to an optimizer that
 * moves its trajectory shows up as the first step, layer and pair of values that differ.
 */
import { presetNames } from "../optim/mod.ts";
import type { OptionValue } from "../optim/options.ts";
import type { BackendName } from "../runtime/backend.ts";
import { readColumns } from "../trace/arrow_read.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import { runJob } from "../train/job.ts";

/** Relative tolerance of every compared value (|a - b| <= RTOL * max(|a|, |b|) + ATOL). */
export const RTOL = 1e-4;
/** Absolute tolerance, for values near zero. */
export const ATOL = 1e-7;

/** The per-layer columns the check compares. */
export const CHECKED_LAYER_COLUMNS = ["grad_dual", "update_primal", "radius"] as const;

/** The tiny workloads of the check, shrunk so that a step takes milliseconds (same code paths). */
export const CHECK_WORKLOADS: Record<string, Record<string, number>> = {
  "nanogpt-tiny": { layers: 2, heads: 2, width: 32, context: 16, batch: 4 },
  "cnn-tiny": { batch: 8 },
};

/** Steps per check run, and how often per-layer rows are compared. */
export const CHECK_STEPS = 24;
const LAYERS_EVERY = 4;

/** One run's trajectory as stored in the baseline; null stands for a value that is not finite (JSON has no NaN). */
export interface Trajectory {
  loss: (number | null)[];
  /** layer -> column -> values at steps 0, LAYERS_EVERY, ... */
  layers: Record<string, Record<string, (number | null)[]>>;
}

const finite = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);

/** The baseline file. */
export interface Baseline {
  backend: BackendName;
  threads: number;
  steps: number;
  rtol: number;
  runs: Record<string, Trajectory>;
}

/** The first difference between a baseline and a new trajectory. */
export interface Difference {
  run: string;
  step: number;
  /** "loss" or a layer name. */
  where: string;
  column: string;
  baseline: number | null;
  now: number | null;
}

/** The check's run ids: `<workload>/<preset>`. */
export function checkRunIds(): string[] {
  return Object.keys(CHECK_WORKLOADS).flatMap((w) => presetNames().map((p) => `${w}/${p}`));
}

/** Trains one check run in a temporary directory and returns its trajectory. */
async function trajectory(
  id: string,
  backend: BackendName,
  threads: number,
  opt: Record<string, OptionValue>,
  root: string,
): Promise<Trajectory> {
  const [workload, optimizer] = id.split("/");
  const config: Partial<JobConfig> & Pick<JobConfig, "workload" | "optimizer"> = {
    workload,
    optimizer,
    model: CHECK_WORKLOADS[workload],
    opt,
    steps: CHECK_STEPS,
    seed: 1234,
    backend,
    threads,
    evalEvery: CHECK_STEPS,
    evalBatches: 1,
    layersEvery: LAYERS_EVERY,
    checkpointEvery: CHECK_STEPS,
  };
  const run = await runJob(config, { out: `${root}/${id.replace("/", "__")}` });
  const steps = await readColumns(run.dir, "steps");
  const rows = await readColumns(run.dir, "layers");
  const layers: Trajectory["layers"] = {};
  (rows.layer as string[]).forEach((name, i) => {
    const entry = layers[name] ??= Object.fromEntries(CHECKED_LAYER_COLUMNS.map((c) => [c, [] as (number | null)[]]));
    for (const c of CHECKED_LAYER_COLUMNS) entry[c].push(finite(rows[c][i]));
  });
  return { loss: steps.train_loss.map(finite), layers };
}

/** Options of {@link runCheck}. */
export interface CheckOptions {
  backend: BackendName;
  threads: number;
  /** Only these run ids (default: all). */
  only?: readonly string[];
  /** Optimizer overrides per preset (how the test changes an optimizer's behaviour slightly). */
  perturb?: Record<string, Record<string, OptionValue>>;
  onRun?(id: string, index: number, total: number): void;
}

/** Trains every check run and returns the new baseline (not yet compared or written). */
export async function runCheck(options: CheckOptions): Promise<Baseline> {
  const ids = options.only ?? checkRunIds();
  const root = await Deno.makeTempDir({ prefix: "lmo-check-" });
  const runs: Record<string, Trajectory> = {};
  try {
    for (const [i, id] of ids.entries()) {
      options.onRun?.(id, i, ids.length);
      runs[id] = await trajectory(id, options.backend, options.threads, options.perturb?.[id.split("/")[1]] ?? {}, root);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  return { backend: options.backend, threads: options.threads, steps: CHECK_STEPS, rtol: RTOL, runs };
}

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= RTOL * Math.max(Math.abs(a), Math.abs(b)) + ATOL;
}

/**
 * The first difference of each run, in step order (loss before layers at the same step), or an empty list
 * when every value agrees within tolerance. Runs missing from either side are differences at step 0.
 */
export function compareBaselines(old: Baseline, now: Baseline): Difference[] {
  const out: Difference[] = [];
  for (const run of new Set([...Object.keys(old.runs), ...Object.keys(now.runs)])) {
    const a = old.runs[run];
    const b = now.runs[run];
    if (!a || !b) {
      out.push({ run, step: 0, where: a ? "missing now" : "missing in the baseline", column: "", baseline: null, now: null });
      continue;
    }
    const first = firstDifference(run, a, b);
    if (first) out.push(first);
  }
  return out;
}

function firstDifference(run: string, a: Trajectory, b: Trajectory): Difference | null {
  const steps = Math.max(a.loss.length, b.loss.length);
  for (let step = 0; step < steps; step++) {
    const [x, y] = [a.loss[step] ?? null, b.loss[step] ?? null];
    if (!close(x, y)) return { run, step, where: "loss", column: "train_loss", baseline: x, now: y };
    if (step % LAYERS_EVERY !== 0) continue;
    const k = step / LAYERS_EVERY;
    for (const layer of new Set([...Object.keys(a.layers), ...Object.keys(b.layers)])) {
      for (const c of CHECKED_LAYER_COLUMNS) {
        const [u, v] = [a.layers[layer]?.[c]?.[k] ?? null, b.layers[layer]?.[c]?.[k] ?? null];
        if (!close(u, v)) return { run, step, where: layer, column: c, baseline: u, now: v };
      }
    }
  }
  return null;
}

/** One line per difference: run, step, where, the two values. */
export function formatDifference(d: Difference): string {
  const fmt = (x: number | null) => (x === null ? "not finite or absent" : x.toPrecision(8));
  if (!d.column) return `${d.run}: ${d.where}`;
  return `${d.run}: first divergence at step ${d.step}, ${d.where === "loss" ? "train loss" : `layer ${d.where} ${d.column}`}: ` +
    `baseline ${fmt(d.baseline)} vs now ${fmt(d.now)}`;
}

/** Path of the committed baseline of a backend. */
export function baselinePath(backend: BackendName): string {
  return new URL(`../../reports/baseline/${backend}.json`, import.meta.url).pathname;
}
