/**
 * The training loop: runs the fused step graph once per step (after the accumulation graph on the step's
 * earlier micro-batches when it accumulates gradients), feeds each step's outputs back as the next
 * step's inputs, logs steps, per-layer diagnostics and evaluations to the run's Arrow tables, stops cleanly
 * on a non-finite loss, and checkpoints so that `--resume` continues bit-identically.
 */
import type { Tensor } from "onnxruntime-common";
import type { Backend, HostData } from "../runtime/backend.ts";
import { type Feed, Program, replaceFeed } from "../runtime/program.ts";
import type { StepObserver } from "../contracts/observer.ts";
import type { Workload } from "../models/types.ts";
import type { Optimizer } from "../optim/types.ts";
import { foldIn, Rng } from "../trace/seeds.ts";
import { EVALS_TABLE, LAYERS_TABLE, stepsTable } from "../trace/schema.ts";
import { TableWriter } from "../trace/arrow_stream.ts";
import {
  batchInput,
  buildEvalGraph,
  DIAGNOSTIC_COLUMNS,
  gradOutput,
  next,
  paramInput,
  stateInput,
  type StateSlot,
  type StepGraph,
} from "./step.ts";
import { type Checkpoint, saveCheckpoint, type SavedTensor } from "./checkpoint.ts";
import { Accumulator } from "./accumulate.ts";
import { type SplitGraphs, SplitStep, type StepValues } from "./split_step.ts";

/** A resumable source of training batches (host arrays keyed by the workload's batch names). */
export interface BatchStream {
  next(): Record<string, HostData>;
  state(): unknown;
  restore(state: unknown): void;
}

/** Progress of a run, for progress bars. */
export interface Progress {
  step: number;
  steps: number;
  loss: number;
  elapsedS: number;
  itemsPerS: number;
}

/** Everything a run needs. */
export interface TrainSetup {
  workload: Workload;
  optimizer: Optimizer;
  /** The step graph of this workload and optimizer (see ./step.ts). */
  stepGraph: StepGraph;
  /** Run the step split into parts (./split_step.ts) instead of the fused step graph. */
  split?: SplitGraphs;
  backend: Backend;
  /** An existing run directory (see src/trace/run_dir.ts). */
  dir: string;
  steps: number;
  seed: number;
  train: BatchStream;
  /** Fixed evaluation batches (e.g. the validation split); none: no evals. */
  evalBatches?: Record<string, HostData>[];
  evalEvery: number;
  checkpointEvery: number;
  /** Log per-layer diagnostics every this many steps (and on observed steps). */
  layersEvery: number;
  /** Samples (tokens or images) per optimizer step (every micro-batch of it), for throughput. */
  itemsPerStep: number;
  resumeFrom?: Checkpoint | null;
  /**
   * Continue the run directory's tables: from `resumeFrom`'s step, or from step 0 (rows dropped) when
   * there is no checkpoint. Default: only when `resumeFrom` is given.
   */
  resume?: boolean;
  /** When aborted, the run stops before its next step: tables flushed, a checkpoint saved (see stop). */
  stop?: AbortSignal;
  observer?: StepObserver;
  onProgress?(p: Progress): void;
}

/** How a run ended ("interrupted": stopped by {@link TrainSetup.stop}, resumable from its checkpoint). */
export interface TrainResult {
  status: "done" | "diverged" | "interrupted";
  /** Steps completed (including those before a resume). */
  steps: number;
  finalLoss: number;
  divergedStep?: number;
  wallS: number;
  /** Wall time of each step run in this process, in milliseconds. */
  stepMs: number[];
}

const FLOAT = (t: HostData) => t as Float32Array;

/** Runs (or continues) a training run; see the module comment. */
export async function train(s: TrainSetup): Promise<TrainResult> {
  const { workload, optimizer, backend, stepGraph } = s;
  const split = s.split ? await SplitStep.load(backend, s.split) : null;
  const fused = split ? null : {
    program: await Program.load(backend, stepGraph.model, { keepOutputsOnDevice: true }),
    lean: await Program.load(backend, stepGraph.lean, { keepOutputsOnDevice: true }),
    accumulator: await Accumulator.load(backend, stepGraph),
    leanFetches: stepGraph.lean.outputs.map((o) => o.name),
  };
  const evalProgram = s.evalBatches?.length ? await Program.load(backend, buildEvalGraph(workload)) : null;
  const routing = new Map(optimizer.route(workload.params).map((r) => [r.param, r]));
  const start = s.resumeFrom?.step ?? 0;
  const feeds = initialFeeds(workload, stepGraph.state, s.seed, s.resumeFrom);
  if (s.resumeFrom) s.train.restore(s.resumeFrom.extra.train);

  // An eval row at step k holds the loss after k steps, which a checkpoint at step k has already logged.
  const resume = s.resume ?? !!s.resumeFrom;
  const keep = resume ? { resumeFromStep: start } : {};
  const keepEvals = resume ? { resumeFromStep: start + 1 } : {};
  // Optimizer scalars that repeat a base column (the clip's grad_norm) are already logged under it.
  const base = stepsTable().columns.map((c) => c.name);
  const extraScalars = stepGraph.scalarNames.filter((n) => !base.includes(n));
  const stepsWriter = await TableWriter.open(s.dir, stepsTable([...extraScalars, "items_per_s"]), keep);
  const layersWriter = await TableWriter.open(s.dir, LAYERS_TABLE, keep);
  const evalsWriter = await TableWriter.open(s.dir, EVALS_TABLE, keepEvals);
  const writers = [stepsWriter, layersWriter, evalsWriter];

  const t0 = performance.now();
  const priorS = s.resumeFrom?.wallS ?? 0;
  const wall = () => priorS + (performance.now() - t0) / 1000;
  const stepMs: number[] = [];
  let loss = NaN;
  let result: TrainResult | null = null;
  let finalized = false;
  let failed = false;
  try {
    for (let step = start; step < s.steps; step++) {
      if (s.stop?.aborted) {
        for (const w of writers) w.flush();
        if (step > start) saveCheckpoint(s.dir, await snapshot(s, feeds, stepGraph.state, step, wall()));
        result = { status: "interrupted", steps: step, finalLoss: loss, wallS: wall(), stepMs };
        break;
      }
      const tStep = performance.now();
      const lr = optimizer.lrAt(step, s.steps);
      const observed = s.observer?.wants(step) ?? false;
      const logsLayers = observed || step % s.layersEvery === 0 || step === s.steps - 1;
      const observe = observed
        ? (grads: Record<string, HostData>) => observeStep(s, step, feeds, grads)
        : undefined;
      const values = split
        ? await split.run(feeds, s.train, { lr, step }, observe)
        : await fusedStep(s, fused!, feeds, { lr, step, logsLayers, observe });
      loss = values.loss;
      stepMs.push(performance.now() - tStep);
      if (!Number.isFinite(loss)) {
        stepsWriter.append({ step, wall_s: wall(), train_loss: loss, lr, grad_norm: NaN });
        result = {
          status: "diverged",
          steps: step,
          finalLoss: loss,
          divergedStep: step,
          wallS: wall(),
          stepMs,
        };
        break;
      }
      const { gradNorm, scalars } = values;
      const itemsPerS = s.itemsPerStep / (stepMs[stepMs.length - 1] / 1000);
      const row: Record<string, number> = {
        step,
        wall_s: wall(),
        train_loss: loss,
        lr,
        grad_norm: gradNorm,
        items_per_s: itemsPerS,
      };
      stepGraph.scalarNames.forEach((n, i) => extraScalars.includes(n) && (row[n] = Number(scalars[i])));
      stepsWriter.append(row);
      if (logsLayers) {
        const diag = values.diagnostics!;
        const extra = s.observer?.layerColumns?.(step);
        workload.params.forEach((p, i) => {
          const r = routing.get(p.name);
          const cells: Record<string, number | string | null> = {
            step,
            layer: p.name,
            role: p.role,
            norm: r?.norm ?? "",
          };
          DIAGNOSTIC_COLUMNS.forEach((c, j) => (cells[c] = diag[i * DIAGNOSTIC_COLUMNS.length + j]));
          layersWriter.append({ ...cells, ...extra?.[p.name] });
        });
      }
      const done = step + 1;
      if (evalProgram && (done % s.evalEvery === 0 || done === s.steps)) {
        evalsWriter.append({
          step: done,
          split: "val",
          ...await evaluate(evalProgram, feeds, s.evalBatches!, workload),
        });
      }
      s.onProgress?.({ step: done, steps: s.steps, loss, elapsedS: wall(), itemsPerS });
      if (done % s.checkpointEvery === 0 && done < s.steps) {
        for (const w of writers) w.flush();
        saveCheckpoint(s.dir, await snapshot(s, feeds, stepGraph.state, done, wall()));
      }
    }
    result ??= { status: "done", steps: s.steps, finalLoss: loss, wallS: wall(), stepMs };
    if (result.status !== "interrupted") {
      for (const w of writers) await w.finalize();
      finalized = true;
    }
    return result;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // After a failure (a full disk...), closing may fail too; the first error is the one to report.
    if (!finalized) { for (const w of writers) closeUnlessFailed(w, failed); }
    await split?.release();
    await fused?.program.release();
    await fused?.lean.release();
    if (fused?.accumulator) {
      fused.accumulator.reset(feeds);
      await fused.accumulator.release();
    }
    await evalProgram?.release();
  }
}

/** Closes a table writer; after an earlier failure, an error in closing is dropped for that one. */
function closeUnlessFailed(writer: TableWriter, failed: boolean): void {
  try {
    writer.close();
  } catch (error) {
    if (!failed) throw error;
  }
}

/**
 * The step graph's parameter and state feeds: fresh parameters (each from its own seeded stream) and zero
 * state, or the tensors of a checkpoint.
 */
export function initialFeeds(
  workload: Workload,
  slots: readonly StateSlot[],
  seed: number,
  resumeFrom?: Checkpoint | null,
): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  const saved = new Map((resumeFrom?.tensors ?? []).map((t) => [t.name, t.data]));
  const take = (name: string, shape: number[], fresh: () => Float32Array) => {
    const data = resumeFrom ? saved.get(name) : fresh();
    if (!data) {
      throw new Error(`the checkpoint has no tensor "${name}"; it belongs to another model or optimizer`);
    }
    if (data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`checkpoint tensor "${name}" has the wrong size`);
    }
    feeds[name] = data;
  };
  for (const p of workload.params) {
    take(paramInput(p.name), p.shape, () => p.init(new Rng(foldIn(seed, `init/${p.name}`))));
  }
  for (const st of slots) {
    take(stateInput(st.key), st.shape, () => new Float32Array(st.shape.reduce((a, b) => a * b, 1)));
  }
  return feeds;
}

/** Moves each `next/<input>` output of a step into its input slot, freeing the device tensors it replaces. */
export function advance(
  backend: Backend,
  feeds: Record<string, Feed>,
  out: Record<string, Tensor>,
  step: StepGraph,
) {
  const names = [
    ...step.params.map((p) => paramInput(p.name)),
    ...step.state.map((st) => stateInput(st.key)),
  ];
  for (const name of names) replaceFeed(backend, feeds, name, out[next(name)]);
}

/** The fused step's programs: with and without diagnostics, the accumulation graph, the lean outputs. */
interface FusedPrograms {
  program: Program;
  lean: Program;
  accumulator: Accumulator | null;
  leanFetches: string[];
}

/**
 * One fused step: the accumulation graph on the step's earlier micro-batches, then the step graph (with its
 * diagnostics when the step logs layers) on the last one; the next parameters and state go into `feeds`.
 */
async function fusedStep(
  s: TrainSetup,
  fused: FusedPrograms,
  feeds: Record<string, Feed>,
  at: {
    lr: number;
    step: number;
    logsLayers: boolean;
    observe?: (grads: Record<string, HostData>) => Promise<void>;
  },
): Promise<StepValues> {
  const { backend, stepGraph, workload } = s;
  await fused.accumulator?.run(feeds, s.train);
  const batch = s.train.next();
  for (const [k, v] of Object.entries(batch)) feeds[batchInput(k)] = v;
  feeds.lr = new Float32Array([at.lr]);
  feeds.step = new Float32Array([at.step]);
  const gradFetches = at.observe ? workload.params.map((p) => gradOutput(p.name)) : [];
  const out = !at.logsLayers
    ? await fused.lean.run(feeds, fused.leanFetches)
    : await fused.program.run(feeds, [...fused.leanFetches, "diagnostics", ...gradFetches]);
  const loss = Number((await backend.read(out.loss))[0]);
  if (at.observe) {
    const grads: Record<string, HostData> = {};
    for (const p of workload.params) grads[p.name] = await backend.read(out[gradOutput(p.name)]);
    await at.observe(grads);
  }
  advance(backend, feeds, out, stepGraph);
  fused.accumulator?.reset(feeds);
  const gradNorm = Number((await backend.read(out.grad_norm))[0]);
  const scalars = stepGraph.scalarNames.length ? Array.from(FLOAT(await backend.read(out.scalars))) : [];
  const diagnostics = at.logsLayers ? FLOAT(await backend.read(out.diagnostics)) : undefined;
  return { loss, gradNorm, scalars, diagnostics };
}

/** Hands the observer the step's parameters (before the update) and raw gradients. */
async function observeStep(
  s: TrainSetup,
  step: number,
  feeds: Record<string, Feed>,
  grads: Record<string, HostData>,
) {
  const params: Record<string, Float32Array> = {};
  for (const p of s.workload.params) {
    const x = feeds[paramInput(p.name)];
    params[p.name] = FLOAT(ArrayBuffer.isView(x) ? x : await s.backend.read(x));
  }
  s.observer!.observe(step, params, grads as Record<string, Float32Array>);
}

/** Mean loss (and accuracy where the workload counts correct predictions) over the evaluation batches. */
async function evaluate(
  program: Program,
  feeds: Record<string, Feed>,
  batches: Record<string, HostData>[],
  workload: Workload,
) {
  let loss = 0;
  let correct = 0;
  let items = 0;
  for (const b of batches) {
    const evalFeeds: Record<string, Feed> = {};
    for (const p of workload.params) evalFeeds[paramInput(p.name)] = feeds[paramInput(p.name)];
    for (const [k, v] of Object.entries(b)) evalFeeds[batchInput(k)] = v;
    const out = await program.runToHost(evalFeeds);
    loss += Number(out.loss[0]);
    if (out["metric/correct"]) {
      correct += Number(out["metric/correct"][0]);
      items += b.y.length;
    }
  }
  return { loss: loss / batches.length, accuracy: items ? correct / items : null };
}

/** A checkpoint of the current feeds (read back from the device where needed) and data position. */
async function snapshot(
  s: TrainSetup,
  feeds: Record<string, Feed>,
  slots: readonly StateSlot[],
  step: number,
  wallS: number,
) {
  const names = [
    ...s.workload.params.map((p) => paramInput(p.name)),
    ...slots.map((st) => stateInput(st.key)),
  ];
  const tensors: SavedTensor[] = [];
  for (const name of names) {
    const v = feeds[name];
    const data = FLOAT(ArrayBuffer.isView(v) ? v : await s.backend.read(v));
    tensors.push({ name, shape: [data.length], data });
  }
  return { step, wallS, extra: { train: s.train.state() }, tensors };
}
