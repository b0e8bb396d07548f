/**
 * What a run will need, worked out from its graphs without training (`deno task run --dry-run`): parameter,
 * optimizer-state and accumulation-buffer bytes, the peak working memory of each graph, the process's
 * predicted peak resident memory on the native backend, and FLOPs and tokens per optimizer step.
 *
 * The peak model, fitted to the measured peak resident memory (VmHWM) of runs on this machine
 * (tests/memory_plan_test.ts checks it within 25%): the runtime itself (Deno, ONNX Runtime, the JS heap),
 * plus three copies of parameters, state and sums (the host feeds, ONNX Runtime's copies of them and the
 * next values read back), plus the largest peak working memory of the sessions that run: the native backend
 * runs without ONNX Runtime's per-session memory arenas (src/runtime/native.ts), so one session's working
 * memory is freed before the next runs.
 *
 * The split step (src/train/split_step.ts) holds one copy of parameters, state and sums, plus the larger of
 * its two phases: the gradient graph's working memory and the host copies of the gradients it returns, or
 * the gradients and the update's working memory (the global graph's, or twice a group graph's: its values
 * in ONNX Runtime and their host copies).
 *
 * Every loaded session also costs its own fixed memory ({@link SESSION_BYTES}), which counts where a run
 * loads many: the split step loads one update graph per parameter group (35 at nanogpt-tiny).
 */
import type { Workload } from "../models/types.ts";
import { evalLiveBytes, type StepGraph } from "./step.ts";
import type { stepSizes } from "./job.ts";
import type { SplitGraphs } from "./split_step.ts";

/** The resident memory of the runtime before any model (Deno, onnxruntime-node, the JS heap), measured here. */
export const RUNTIME_BYTES = 160e6;

/**
 * The resident memory of one loaded native session that has run once, its feeds excluded: 35 update-group
 * sessions of nanogpt-tiny took 24 MiB loaded and 48 MiB after one run each, 7 MiB of which were their feeds
 * and outputs (2026-12-07, 2 threads).
 */
export const SESSION_BYTES = 1.2e6;

/** Bytes of a run's memory by kind, and its throughput sizes. */
export interface MemoryPlan {
  params: number;
  state: number;
  /** The gradient sums of accumulation (0 without it). */
  accumBuffers: number;
  /** Peak working memory of one run of each graph the run loads (0 for a graph it does not run). */
  graphs: { step: number; leanStep: number; accumulate: number; eval: number };
  /** The split step's graphs (gradient, global update, largest group update); null for the fused step. */
  split: { grad: number; global: number; group: number } | null;
  /** Predicted peak resident memory of the process (see the module comment). */
  peak: number;
  flopsPerStep: number;
  microBatch: number;
  accum: number;
  /** Tokens (text) or images per optimizer step. */
  itemsPerStep: number;
}

/** Float32 bytes of a list of shapes. */
const bytesOf = (shapes: readonly { shape: readonly number[] }[]) =>
  shapes.reduce((a, s) => a + 4 * s.shape.reduce((x, y) => x * y, 1), 0);

/**
 * The plan of a run of `steps` steps of `stepGraph` (with evaluations when `evaluates`); `sizes` are the
 * step's batch sizes ({@link stepSizes}).
 */
export function planMemory(
  workload: Workload,
  stepGraph: StepGraph,
  sizes: ReturnType<typeof stepSizes>,
  run: { steps: number; evaluates: boolean; split?: SplitGraphs },
): MemoryPlan {
  const params = bytesOf(workload.params);
  const state = bytesOf(stepGraph.state);
  const accumBuffers = stepGraph.accum > 1 ? params : 0;
  const split = run.split
    ? {
      grad: run.split.gradLiveBytes,
      global: run.split.update.liveBytes.global,
      group: run.split.update.liveBytes.group,
    }
    : null;
  const graphs = {
    step: split ? 0 : stepGraph.liveBytes.model,
    leanStep: !split && run.steps > 1 ? stepGraph.liveBytes.lean : 0,
    accumulate: stepGraph.liveBytes.accumulate,
    eval: run.evaluates ? evalLiveBytes(workload) : 0,
  };
  const sessions = run.split
    ? 2 + run.split.update.groups.length + Number(graphs.accumulate > 0) + Number(graphs.eval > 0)
    : Object.values(graphs).filter((b) => b > 0).length;
  const peak = sessions * SESSION_BYTES + (split
    ? RUNTIME_BYTES + params + state + accumBuffers + Math.max(
      split.grad + params,
      graphs.accumulate + accumBuffers,
      params + Math.max(split.global, 2 * split.group),
      graphs.eval,
    )
    : RUNTIME_BYTES + 3 * (params + state + accumBuffers) + Math.max(...Object.values(graphs)));
  return {
    params,
    state,
    accumBuffers,
    graphs,
    split,
    peak,
    flopsPerStep: stepGraph.flops,
    microBatch: sizes.microBatch,
    accum: stepGraph.accum,
    itemsPerStep: sizes.itemsPerStep,
  };
}

/** A byte count in MiB or GiB. */
export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** The plan as the table `--dry-run` prints. */
export function formatPlan(plan: MemoryPlan, items: "tokens" | "images"): string {
  const rows: [string, string][] = [
    ["micro-batch x accum", `${plan.microBatch} x ${plan.accum}`],
    [`${items} per step`, plan.itemsPerStep.toLocaleString("en-US")],
    ["parameters", formatBytes(plan.params)],
    ["optimizer state", formatBytes(plan.state)],
    ["accumulation sums", formatBytes(plan.accumBuffers)],
    ...(plan.split
      ? [
        ["peak activations, split step", formatBytes(plan.split.grad)],
        ["  global update graph", formatBytes(plan.split.global)],
        ["  largest group update graph", formatBytes(plan.split.group)],
      ] as [string, string][]
      : [
        ["peak activations, step graph", formatBytes(plan.graphs.step)],
        ["  lean step graph", formatBytes(plan.graphs.leanStep)],
      ] as [string, string][]),
    ["  accumulation graph", formatBytes(plan.graphs.accumulate)],
    ["  evaluation graph", formatBytes(plan.graphs.eval)],
    ["predicted peak RSS (native)", formatBytes(plan.peak)],
    ["GFLOP per step", (plan.flopsPerStep / 1e9).toFixed(2)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(30)} ${v}`).join("\n");
}
