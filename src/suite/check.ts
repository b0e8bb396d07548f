/**
 * `deno task check`: the regression check. Every optimizer preset trains each tiny workload for a few
 * dozen steps with fixed seeds; the losses and per-layer norms are compared with a committed baseline
 * (`reports/baseline/<backend>.json`) within per-column tolerances derived from the spread measured between
 * honest variants (another machine, thread count or ORT graph optimization level), so the check holds on any
 * machine of the kind. A change to an optimizer that moves its trajectory shows up as the first step, layer
 * and pair of values that differ.
 */
import { presetNames } from "../optim/mod.ts";
import type { OptionValue } from "../optim/options.ts";
import type { BackendName, GraphOptimization } from "../runtime/backend.ts";
import { readColumns } from "../trace/arrow_read.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import { runJob } from "../train/job.ts";

/** The columns the check compares: the train loss of every step and per-layer norms every few steps. */
export type CheckedColumn = "train_loss" | (typeof CHECKED_LAYER_COLUMNS)[number];

/** A relative tolerance at step 0 (before any update has fed back) and at every later step. */
export interface PhaseTolerance {
  first: number;
  later: number;
}

/**
 * The largest relative difference |a - b| / max(|a|, |b|) measured between honest variants of unchanged code
 * over all 24 check runs, per column, at step 0 and at steps 1-23 (docs/design.md, "The regression check").
 * Measured on 2-core AMD EPYC (AVX2) VMs, 1 thread, 2026-12-01 (step 0 / later):
 *   - native, another machine of the kind (the first committed baseline vs this one): loss 0 / 1.5e-7,
 *     grad_dual 2.4e-7 / 1.4e-5, update_primal 7.1e-5 / 9.9e-3, radius 5.9e-7 / 5.8e-6;
 *   - native, ORT graph optimizations "disabled" instead of "all": loss 0 / 3.5e-7, grad_dual 2.4e-7 / 5.1e-6,
 *     update_primal 1.1e-7 / 1.0e-2, radius 6.5e-8 / 9.6e-6;
 *   - wasm, "disabled" instead of "all": loss 0 / 4.6e-7, grad_dual 1.2e-6 / 1.3e-4,
 *     update_primal 2.1e-6 / 0.12, radius 1.3e-6 / 1.9e-5;
 *   - bitwise equal: native 2 threads vs 1, "basic" or "extended" vs "all"; wasm on the other machine.
 * update_primal is ill-conditioned (Adam's g / (sqrt(v) + eps) on near-zero entries, Newton-Schulz on small
 * singular values); the loss, the dual gradient norms and the radii are not.
 */
export const MEASURED_SPREAD: Record<CheckedColumn, PhaseTolerance> = {
  train_loss: { first: 0, later: 4.6e-7 },
  grad_dual: { first: 1.2e-6, later: 1.3e-4 },
  update_primal: { first: 7.1e-5, later: 0.12 },
  radius: { first: 1.3e-6, later: 1.9e-5 },
};

/** Tolerance = SAFETY x measured spread: a machine or kernel change may move values this much more than we saw. */
export const SAFETY = 10;
/** The smallest relative tolerance: about 8 float32 ulps, so that one rounding never fails the check. */
export const MIN_RTOL = 1e-6;
/** Absolute tolerance, so that two exact zeros (or values at float32's denormal floor) agree. */
export const ATOL = 1e-30;

/**
 * max(MIN_RTOL, SAFETY x spread), or Infinity where that reaches 1: a relative tolerance of 100% bounds
 * nothing, so such a column is only checked for being finite (update_primal after step 0).
 */
function fromSpread(spread: number): number {
  const rtol = Math.max(MIN_RTOL, SAFETY * spread);
  return rtol >= 1 ? Infinity : rtol;
}

const phases = (t: PhaseTolerance): PhaseTolerance => ({
  first: fromSpread(t.first),
  later: fromSpread(t.later),
});

/** The relative tolerance of every column and phase, from {@link MEASURED_SPREAD}. */
export const TOLERANCE = Object.fromEntries(
  Object.entries(MEASURED_SPREAD).map(([c, t]) => [c, phases(t)]),
) as Record<CheckedColumn, PhaseTolerance>;

/** The relative tolerance of `column` at `step`. */
export function tolerance(column: CheckedColumn, step: number): number {
  return step === 0 ? TOLERANCE[column].first : TOLERANCE[column].later;
}

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
  /** The thread count and graph optimization level it was written with (the check passes across both). */
  threads: number;
  graphOptimization: GraphOptimization;
  steps: number;
  /** The tolerance design in force when it was written (the comparison always uses the code's {@link TOLERANCE}). */
  tolerance: { measuredSpread: Record<CheckedColumn, PhaseTolerance>; safety: number; minRtol: number };
  runs: Record<string, Trajectory>;
}

/** The first difference between a baseline and a new trajectory. */
export interface Difference {
  run: string;
  step: number;
  /** "loss" or a layer name. */
  where: string;
  column: CheckedColumn | "";
  baseline: number | null;
  now: number | null;
  /** The relative tolerance the two values missed. */
  rtol: number;
}

/** The check's run ids: `<workload>/<preset>`. */
export function checkRunIds(): string[] {
  return Object.keys(CHECK_WORKLOADS).flatMap((w) => presetNames().map((p) => `${w}/${p}`));
}

/** Trains one check run in a temporary directory and returns its trajectory. */
async function trajectory(id: string, options: CheckOptions, root: string): Promise<Trajectory> {
  const { backend, threads } = options;
  const opt = options.perturb?.[id.split("/")[1]] ?? {};
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
  const run = await runJob(config, {
    out: `${root}/${id.replace("/", "__")}`,
    graphOptimization: options.graphOptimization,
    // ORT's plain convolutions: the NCHWc kernels sum channels in blocks of 8 or 16 by CPU (AVX2 or AVX-512),
    // so their rounding would tie the baseline to one CPU family (docs/design.md).
    nchwc: false,
  });
  const steps = await readColumns(run.dir, "steps");
  const rows = await readColumns(run.dir, "layers");
  const layers: Trajectory["layers"] = {};
  (rows.layer as string[]).forEach((name, i) => {
    const entry = layers[name] ??= Object.fromEntries(
      CHECKED_LAYER_COLUMNS.map((c) => [c, [] as (number | null)[]]),
    );
    for (const c of CHECKED_LAYER_COLUMNS) entry[c].push(finite(rows[c][i]));
  });
  return { loss: steps.train_loss.map(finite), layers };
}

/** Options of {@link runCheck}. */
export interface CheckOptions {
  backend: BackendName;
  threads: number;
  /** ORT's graph optimization level (default "all", as every run uses). */
  graphOptimization?: GraphOptimization;
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
      runs[id] = await trajectory(id, options, root);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  return {
    backend: options.backend,
    threads: options.threads,
    graphOptimization: options.graphOptimization ?? "all",
    steps: CHECK_STEPS,
    tolerance: { measuredSpread: MEASURED_SPREAD, safety: SAFETY, minRtol: MIN_RTOL },
    runs,
  };
}

function close(a: number | null, b: number | null, rtol: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)) + ATOL;
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
      out.push({
        run,
        step: 0,
        where: a ? "missing now" : "missing in the baseline",
        column: "",
        baseline: null,
        now: null,
        rtol: 0,
      });
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
    const rtol = tolerance("train_loss", step);
    if (!close(x, y, rtol)) {
      return { run, step, where: "loss", column: "train_loss", baseline: x, now: y, rtol };
    }
    if (step % LAYERS_EVERY !== 0) continue;
    const k = step / LAYERS_EVERY;
    for (const layer of new Set([...Object.keys(a.layers), ...Object.keys(b.layers)])) {
      for (const c of CHECKED_LAYER_COLUMNS) {
        const [u, v] = [a.layers[layer]?.[c]?.[k] ?? null, b.layers[layer]?.[c]?.[k] ?? null];
        const rtol = tolerance(c, step);
        if (!close(u, v, rtol)) return { run, step, where: layer, column: c, baseline: u, now: v, rtol };
      }
    }
  }
  return null;
}

/** One line per difference: run, step, where, the two values, their relative difference and the tolerance. */
export function formatDifference(d: Difference): string {
  const fmt = (x: number | null) => (x === null ? "not finite or absent" : x.toPrecision(8));
  if (!d.column) return `${d.run}: ${d.where}`;
  const relative = d.baseline !== null && d.now !== null
    ? ` (relative difference ${
      (Math.abs(d.now - d.baseline) / Math.max(Math.abs(d.now), Math.abs(d.baseline))).toExponential(1)
    }, ` +
      `tolerance ${d.rtol.toExponential(1)})`
    : "";
  return `${d.run}: first divergence at step ${d.step}, ${
    d.where === "loss" ? "train loss" : `layer ${d.where} ${d.column}`
  }: ` +
    `baseline ${fmt(d.baseline)} vs now ${fmt(d.now)}${relative}`;
}

/** Path of the committed baseline of a backend. */
export function baselinePath(backend: BackendName): string {
  return new URL(`../../reports/baseline/${backend}.json`, import.meta.url).pathname;
}
