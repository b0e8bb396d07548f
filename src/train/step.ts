/**
 * The fused training step (DESIGN.md decision 1): forward, backward and optimizer update of one
 * mini-batch as a single ONNX graph, built once per run. Parameters and optimizer state go in, their next
 * values come out under `next/...` names, so each step's outputs are the next step's inputs.
 */
import {
  add,
  concat,
  countFlops,
  exportOnnx,
  grad,
  Graph,
  mul,
  type OnnxModel,
  peakLiveBytes,
  reduceSum,
  reshape,
  sqrt,
  type Tensor,
} from "../graph/mod.ts";
import type { ParamSpec } from "../contracts/params.ts";
import type { Workload } from "../models/types.ts";
import type { LayerDiagnostics, Optimizer } from "../optim/types.ts";

/** The per-layer diagnostics in the order of the columns of the `diagnostics` output. */
export const DIAGNOSTIC_COLUMNS = ["grad_dual", "momentum_dual", "update_primal", "radius"] as const;

const DIAGNOSTIC_KEYS: readonly (keyof LayerDiagnostics)[] = [
  "gradDual",
  "momentumDual",
  "updatePrimal",
  "radius",
];

/** One optimizer state slot (zeros at step 0). */
export interface StateSlot {
  key: string;
  shape: number[];
}

/** A compiled step graph and the names it reads and writes. */
export interface StepGraph {
  /** Every output, per-layer diagnostics and raw gradients included: for the steps that log them. */
  model: OnnxModel;
  /**
   * The same step without the per-layer diagnostics and raw gradients. ONNX Runtime computes every node of a
   * graph whatever is fetched, so steps that log no layer rows run this smaller graph.
   */
  lean: OnnxModel;
  params: readonly ParamSpec[];
  state: readonly StateSlot[];
  /** Names of the optimizer scalars, in the order of the `scalars` output. */
  scalarNames: readonly string[];
  /** Names of the workload metrics, each its own `metric/<name>` output. */
  metricNames: readonly string[];
  /**
   * Micro-batches per optimizer step (gradient accumulation): the step graph takes the gradient and loss sums
   * of the first `accum - 1` micro-batches as inputs ({@link accumInput}, {@link ACCUM_LOSS}) and averages
   * them with its own micro-batch's before the update. 1: no accumulation, no such inputs.
   */
  accum: number;
  /** The graph that adds one micro-batch's gradients and loss to those sums; null when `accum` is 1. */
  accumulate: OnnxModel | null;
  /** Matrix-product and convolution FLOPs of one optimizer step (all its micro-batches and the update). */
  flops: number;
  /** Peak bytes of the values computed in one run of each graph (inputs excluded; see peakLiveBytes). */
  liveBytes: { model: number; lean: number; accumulate: number };
}

/** Input name of a parameter. */
export const paramInput = (name: string) => `param/${name}`;
/** Input name of a state slot. */
export const stateInput = (key: string) => `state/${key}`;
/** Input name of a batch field. */
export const batchInput = (name: string) => `batch/${name}`;
/** Input name of a parameter's gradient summed over the step's earlier micro-batches. */
export const accumInput = (name: string) => `accum/grad/${name}`;
/** Input name of the loss summed over the step's earlier micro-batches. */
export const ACCUM_LOSS = "accum/loss";
/** Output name carrying the next value of an input. */
export const next = (input: string) => `next/${input}`;

/** Declares the workload's parameter and batch inputs in a graph. */
export function declareInputs(g: Graph, workload: Workload) {
  const params: Record<string, Tensor> = {};
  for (const p of workload.params) params[p.name] = g.input(paramInput(p.name), p.shape);
  const batch: Record<string, Tensor> = {};
  for (const b of workload.batch) batch[b.name] = g.input(batchInput(b.name), b.shape, b.dtype);
  return { params, batch };
}

/** Declares the gradient and loss sums of earlier micro-batches as inputs. */
function declareAccumInputs(g: Graph, workload: Workload) {
  const grads: Record<string, Tensor> = {};
  for (const p of workload.params) grads[p.name] = g.input(accumInput(p.name), p.shape);
  return { grads, loss: g.input(ACCUM_LOSS, []) };
}

/** The loss, metrics and gradients (in parameter order) of one micro-batch at the declared inputs. */
function lossAndGrads(g: Graph, workload: Workload, { params, batch } = declareInputs(g, workload)) {
  const { loss, metrics = {} } = workload.buildLoss(g, params, batch);
  return { params, loss, metrics, grads: grad(loss, workload.params.map((p) => params[p.name])) };
}

/** Output name of a parameter's raw gradient. */
export const gradOutput = (name: string) => `grad/${name}`;

/** The Euclidean norm of all tensors together. */
function globalNorm(ts: Tensor[]): Tensor {
  return sqrt(ts.map((t) => reduceSum(mul(t, t))).reduce((a, b) => add(a, b)));
}

/** Stacks scalars into one vector (shape [n]); an empty list gives null. */
function stack(xs: Tensor[]): Tensor | null {
  return xs.length ? concat(xs.map((x) => reshape(x, [1])), 0) : null;
}

/**
 * Builds the step graph of `optimizer` on `workload`. Outputs: `loss` (at the current parameters),
 * `metric/<name>`, `next/param/<name>`, `next/state/<key>`, `diagnostics` [layers, 4] in parameter order with
 * {@link DIAGNOSTIC_COLUMNS}, `scalars` [n] with {@link StepGraph.scalarNames}, `grad_norm` (global norm of the
 * raw gradient) and `grad/<name>` (raw gradients: fetch them only on the steps that need them).
 */
export function buildStepGraph(
  workload: Workload,
  optimizer: Optimizer,
  dtype: "float32" | "float64" = "float32",
  accum = 1,
): StepGraph {
  if (!Number.isInteger(accum) || accum < 1) {
    throw new Error(`accum must be a positive integer, got ${accum}`);
  }
  const g = new Graph(dtype);
  const inputs = declareInputs(g, workload);
  const lr = g.input("lr", []);
  const step = g.input("step", []);
  // Node order as before accumulation existed: K = 1 steps stay bitwise identical to the baselines.
  const micro = lossAndGrads(g, workload, inputs);
  const { params, metrics } = micro;
  const names = workload.params.map((p) => p.name);
  let loss = micro.loss;
  let gradList = micro.grads;
  if (accum > 1) {
    // The means over the step's micro-batches, as GPT-opt's loop takes them (docs/design.md).
    const sums = declareAccumInputs(g, workload);
    loss = mul(add(micro.loss, sums.loss), 1 / accum);
    gradList = micro.grads.map((gr, i) => mul(add(gr, sums.grads[names[i]]), 1 / accum));
  }
  const grads = Object.fromEntries(names.map((n, i) => [n, gradList[i]]));

  const slots: StateSlot[] = [];
  const state = (key: string, shape: readonly number[]) => {
    if (slots.some((s) => s.key === key)) {
      throw new Error(`optimizer ${optimizer.name} declares state "${key}" twice`);
    }
    slots.push({ key, shape: [...shape] });
    return g.input(stateInput(key), shape);
  };
  const result = optimizer.update({ graph: g, specs: workload.params, params, grads, loss, lr, step, state });

  const outputs: Record<string, Tensor> = { loss, grad_norm: globalNorm(gradList) };
  for (const [m, t] of Object.entries(metrics)) outputs[`metric/${m}`] = t;
  names.forEach((n, i) => (outputs[gradOutput(n)] = gradList[i]));
  for (const n of names) {
    const p = result.params[n];
    if (!p) throw new Error(`optimizer ${optimizer.name} returned no update for parameter ${n}`);
    outputs[next(paramInput(n))] = p;
  }
  for (const s of slots) {
    const t = result.state[s.key];
    if (!t) throw new Error(`optimizer ${optimizer.name} returned no next value for state "${s.key}"`);
    outputs[next(stateInput(s.key))] = t;
  }
  const rows = names.map((n) => {
    const d = result.layers[n];
    if (!d) throw new Error(`optimizer ${optimizer.name} returned no diagnostics for parameter ${n}`);
    return reshape(stack(DIAGNOSTIC_KEYS.map((k) => d[k]))!, [1, DIAGNOSTIC_KEYS.length]);
  });
  outputs.diagnostics = concat(rows, 0);
  const scalarNames = Object.keys(result.scalars);
  const scalars = stack(scalarNames.map((k) => result.scalars[k]));
  if (scalars) outputs.scalars = scalars;
  const leanOutputs = Object.fromEntries(
    Object.entries(outputs).filter(([name]) => name !== "diagnostics" && !name.startsWith("grad/")),
  );
  const accumulate = accum > 1 ? buildAccumGraph(workload, dtype) : null;
  return {
    model: exportOnnx(outputs, `${workload.name}-${optimizer.name}-step`),
    lean: exportOnnx(leanOutputs, `${workload.name}-${optimizer.name}-step-lean`),
    params: workload.params,
    state: slots,
    scalarNames,
    metricNames: Object.keys(metrics),
    accum,
    accumulate: accumulate?.model ?? null,
    flops: countFlops(Object.values(outputs)) + (accum - 1) * (accumulate?.flops ?? 0),
    liveBytes: {
      model: peakLiveBytes(Object.values(outputs)),
      lean: peakLiveBytes(Object.values(leanOutputs)),
      accumulate: accumulate?.liveBytes ?? 0,
    },
  };
}

/**
 * Builds the accumulation graph: one micro-batch's loss and gradients added to the sums of the earlier ones
 * (inputs {@link accumInput} and {@link ACCUM_LOSS}, outputs their `next/...` names). Its batch inputs have
 * the step graph's shapes, so one session serves every micro-batch.
 */
export function buildAccumGraph(workload: Workload, dtype: "float32" | "float64" = "float32") {
  const g = new Graph(dtype);
  const micro = lossAndGrads(g, workload);
  const sums = declareAccumInputs(g, workload);
  const outputs: Record<string, Tensor> = { [next(ACCUM_LOSS)]: add(sums.loss, micro.loss) };
  workload.params.forEach((
    p,
    i,
  ) => (outputs[next(accumInput(p.name))] = add(sums.grads[p.name], micro.grads[i])));
  return {
    model: exportOnnx(outputs, `${workload.name}-accumulate`),
    flops: countFlops(micro.grads),
    liveBytes: peakLiveBytes(Object.values(outputs)),
  };
}

/** Builds the evaluation graph: loss and metrics at the given parameters, no gradients. */
export function buildEvalGraph(workload: Workload): OnnxModel {
  return exportOnnx(evalOutputs(workload), `${workload.name}-eval`);
}

/** Peak bytes of the values computed in one run of the evaluation graph (see peakLiveBytes). */
export function evalLiveBytes(workload: Workload): number {
  return peakLiveBytes(Object.values(evalOutputs(workload)));
}

function evalOutputs(workload: Workload): Record<string, Tensor> {
  const g = new Graph("float32");
  const { params, batch } = declareInputs(g, workload);
  const { loss, metrics = {} } = workload.buildLoss(g, params, batch);
  const outputs: Record<string, Tensor> = { loss };
  for (const [m, t] of Object.entries(metrics)) outputs[`metric/${m}`] = t;
  return outputs;
}

/** Builds the gradient graph: loss and the raw gradient of every parameter (`grad/<name>`). */
export function buildGradGraph(workload: Workload, dtype: "float32" | "float64" = "float32") {
  const { loss, grads } = lossAndGrads(new Graph(dtype), workload);
  const outputs: Record<string, Tensor> = { loss };
  workload.params.forEach((p, i) => (outputs[gradOutput(p.name)] = grads[i]));
  return {
    model: exportOnnx(outputs, `${workload.name}-grad`),
    liveBytes: peakLiveBytes(Object.values(outputs)),
  };
}
