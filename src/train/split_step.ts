/**
 * The split training step (`--split-step`): the fused step's math run in parts, for models whose fused step
 * does not fit in memory. The gradient graph runs on the step's last micro-batch (the accumulation graph on
 * the ones before it), then the update runs as the global graph and one group graph after another
 * (src/optim/separable.ts). Each group's next parameters and state replace the current ones before the next
 * group runs, so the step never holds two copies of the parameters and optimizer state, as the fused step
 * does (nanogpt-774m with AdamW: 8.6 GiB of them).
 *
 * Same math, other rounding: the mean of the micro-batches is taken on the host in float32 (the same
 * correctly rounded operations the fused graph does), and ONNX Runtime fuses the smaller graphs differently.
 */
import type { Backend, HostData } from "../runtime/backend.ts";
import { type Feed, Program, replaceFeed } from "../runtime/program.ts";
import type { Workload } from "../models/types.ts";
import type { Optimizer } from "../optim/types.ts";
import { SPLIT_NAMES, type SplitUpdate, splitUpdate } from "../optim/separable.ts";
import { DIAGNOSTIC_FIELDS, UPDATE_NAMES } from "../optim/update_graph.ts";
import type { OnnxModel } from "../graph/mod.ts";
import { Accumulator, type MicroBatches } from "./accumulate.ts";
import {
  ACCUM_LOSS,
  accumInput,
  batchInput,
  buildAccumGraph,
  buildGradGraph,
  gradOutput,
  paramInput,
  stateInput,
} from "./step.ts";

/** The graphs of a split step. */
export interface SplitGraphs {
  /** Parameter names, in the workload's order. */
  params: string[];
  /** Loss and raw gradients of one micro-batch. */
  grad: OnnxModel;
  /** Micro-batches per step, and the accumulation graph of all but the last (null when 1). */
  accum: number;
  accumulate: OnnxModel | null;
  update: SplitUpdate;
  /** Peak working memory of one run of the gradient graph (see peakLiveBytes). */
  gradLiveBytes: number;
}

/** What one optimizer step gives the training loop. */
export interface StepValues {
  /** Mean loss over the step's micro-batches, at the parameters before the update. */
  loss: number;
  /** Global l2 norm of the (mean) raw gradient. */
  gradNorm: number;
  /** The optimizer-wide scalars, in the order of {@link SplitUpdate.scalars}. */
  scalars: number[];
  /**
   * Per-layer diagnostics [layers, 4] in parameter order (the fused step's `diagnostics` output); the fused
   * step computes them only on the steps that log layers.
   */
  diagnostics?: ArrayLike<number>;
}

/** Builds the graphs of a split step of `optimizer` on `workload` with `accum` micro-batches a step. */
export function buildSplitGraphs(
  workload: Workload,
  optimizer: Optimizer,
  dtype: "float32" | "float64" = "float32",
  accum = 1,
): SplitGraphs {
  const grad = buildGradGraph(workload, dtype);
  return {
    params: workload.params.map((p) => p.name),
    grad: grad.model,
    accum,
    accumulate: accum > 1 ? buildAccumGraph(workload, dtype).model : null,
    update: splitUpdate(optimizer, workload.params, dtype),
    gradLiveBytes: grad.liveBytes,
  };
}

/** A loaded split step: runs one optimizer step at a time over the parameter and state feeds. */
export class SplitStep {
  private constructor(
    readonly backend: Backend,
    readonly graphs: SplitGraphs,
    readonly grad: Program,
    readonly accumulator: Accumulator | null,
    readonly global: Program,
    readonly groups: readonly Program[],
    readonly float64: boolean,
  ) {}

  /** Loads the graphs of a split step onto a backend. */
  static async load(backend: Backend, graphs: SplitGraphs): Promise<SplitStep> {
    const grad = await Program.load(backend, graphs.grad);
    const accumulator = await Accumulator.load(backend, graphs);
    const global = await Program.load(backend, graphs.update.global);
    const groups = [];
    for (const g of graphs.update.groups) groups.push(await Program.load(backend, g.model));
    const float64 = graphs.grad.inputs.some((i) => i.dtype === "float64");
    return new SplitStep(backend, graphs, grad, accumulator, global, groups, float64);
  }

  /**
   * One optimizer step: reads the step's micro-batches from `batches`, calls `observe` (when given) with the
   * parameters and the mean raw gradients before the update, and leaves the next parameters and state in
   * `feeds` (keyed as the fused step's inputs: `param/<name>`, `state/<key>`).
   */
  async run(
    feeds: Record<string, Feed>,
    batches: MicroBatches,
    at: { lr: number; step: number },
    observe?: (grads: Record<string, HostData>) => Promise<void>,
  ): Promise<StepValues> {
    const { loss, grads } = await this.#gradients(feeds, batches);
    await observe?.({ ...grads }); // a copy: the observer may keep it, and the loop below empties this one
    const update: Record<string, Feed> = {
      [UPDATE_NAMES.lr]: this.#scalar(at.lr),
      [UPDATE_NAMES.step]: this.#scalar(at.step),
      [UPDATE_NAMES.loss]: this.#scalar(loss),
    };
    const specs = this.graphs.params;
    for (const name of specs) {
      update[UPDATE_NAMES.param(name)] = feeds[paramInput(name)];
      update[UPDATE_NAMES.grad(name)] = grads[name];
    }
    for (const s of this.graphs.update.state) update[UPDATE_NAMES.state(s.key)] = feeds[stateInput(s.key)];

    const global = await this.global.runToHost(update);
    for (let i = 0; i < this.graphs.update.cuts; i++) update[SPLIT_NAMES.cut(i)] = global[SPLIT_NAMES.cut(i)];
    const diagnostics = new Float64Array(specs.length * DIAGNOSTIC_FIELDS.length);
    for (const [i, group] of this.graphs.update.groups.entries()) {
      const out = await this.groups[i].runToHost(update);
      // No later group reads this group's values: dropping them lets the GC free the old ones now.
      for (const name of group.params) {
        replaceFeed(this.backend, feeds, paramInput(name), out[UPDATE_NAMES.nextParam(name)]);
        const row = specs.indexOf(name) * DIAGNOSTIC_FIELDS.length;
        DIAGNOSTIC_FIELDS.forEach((
          f,
          j,
        ) => (diagnostics[row + j] = Number(out[UPDATE_NAMES.diagnostic(name, f)][0])));
        delete update[UPDATE_NAMES.param(name)];
        delete update[UPDATE_NAMES.grad(name)];
        delete grads[name];
      }
      for (const key of group.state) {
        replaceFeed(this.backend, feeds, stateInput(key), out[UPDATE_NAMES.nextState(key)]);
        delete update[UPDATE_NAMES.state(key)];
      }
    }
    for (const key of this.graphs.update.shared) {
      replaceFeed(this.backend, feeds, stateInput(key), global[UPDATE_NAMES.nextState(key)]);
    }
    return {
      loss,
      gradNorm: Number(global[SPLIT_NAMES.gradNorm][0]),
      scalars: this.graphs.update.scalars.map((k) => Number(global[UPDATE_NAMES.scalar(k)][0])),
      diagnostics,
    };
  }

  /** The mean loss and raw gradients of the step's micro-batches, on the host. */
  async #gradients(feeds: Record<string, Feed>, batches: MicroBatches) {
    await this.accumulator?.run(feeds, batches);
    for (const [k, v] of Object.entries(batches.next())) feeds[batchInput(k)] = v;
    const out = await this.grad.runToHost(feeds);
    const grads: Record<string, HostData> = {};
    const round = this.float64 ? (x: number) => x : Math.fround;
    const k = this.graphs.accum;
    let loss = Number(out.loss[0]);
    if (k > 1) {
      // The fused step's mul(add(micro, sums), 1 / K), in the graph's float type.
      const inv = round(1 / k);
      loss = round(round(loss + Number((await this.#host(feeds[ACCUM_LOSS]))[0])) * inv);
      for (const name of this.graphs.params) {
        const g = out[gradOutput(name)];
        const sum = await this.#host(feeds[accumInput(name)]);
        for (let i = 0; i < g.length; i++) g[i] = round(round(Number(g[i]) + Number(sum[i])) * inv);
      }
      this.accumulator!.reset(feeds);
    }
    for (const name of this.graphs.params) grads[name] = out[gradOutput(name)];
    return { loss, grads };
  }

  #host(v: Feed): Promise<HostData> {
    return ArrayBuffer.isView(v) ? Promise.resolve(v) : this.backend.read(v);
  }

  #scalar(v: number): HostData {
    return this.float64 ? new Float64Array([v]) : new Float32Array([v]);
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    for (const p of [this.grad, this.global, ...this.groups]) await p.release();
    await this.accumulator?.release();
  }
}
