/**
 * An optimizer's update as a graph of its own, with gradients as inputs: for tests, benchmarks and any
 * caller that computes gradients elsewhere (src/train/update_stepper.ts runs it). The training step embeds
 * `optimizer.update` in the fused forward/backward graph instead; the naming here is local to this module.
 */
import { exportOnnx, Graph, type OnnxModel, type Tensor } from "../graph/mod.ts";
import type { ParamSpec } from "../contracts/params.ts";
import type { LayerDiagnostics, Optimizer, UpdateContext } from "./types.ts";

/** Value names of an update graph. */
export const UPDATE_NAMES = {
  param: (name: string) => `param/${name}`,
  grad: (name: string) => `grad/${name}`,
  state: (key: string) => `state/${key}`,
  nextParam: (name: string) => `next_param/${name}`,
  nextState: (key: string) => `next_state/${key}`,
  diagnostic: (name: string, field: keyof LayerDiagnostics) => `diag/${name}/${field}`,
  scalar: (key: string) => `scalar/${key}`,
  lr: "lr",
  step: "step",
  loss: "loss",
} as const;

/** The diagnostics of a layer, in output order. */
export const DIAGNOSTIC_FIELDS: readonly (keyof LayerDiagnostics)[] = [
  "gradDual",
  "momentumDual",
  "updatePrimal",
  "radius",
];

/** A state slot the optimizer declared: fed zeros at step 0, then its own previous output. */
export interface StateSlot {
  key: string;
  shape: number[];
}

/** An exported update graph and the state slots it carries. */
export interface UpdateGraph {
  model: OnnxModel;
  state: StateSlot[];
  /** Names of the optimizer-wide scalars it outputs. */
  scalars: string[];
}

/** Options of {@link buildUpdateGraph}. */
export interface UpdateGraphOptions {
  dtype?: "float32" | "float64";
  /** Output the per-layer diagnostics and scalars (default true); without them ORT never computes them. */
  diagnostics?: boolean;
  /** Stack same-shape matrices into batched computations (default true; see `Graph.batching`). */
  batching?: boolean;
}

/** Builds the update graph of `optimizer` for parameters `specs`. */
export function buildUpdateGraph(
  optimizer: Optimizer,
  specs: readonly ParamSpec[],
  options: UpdateGraphOptions = {},
): UpdateGraph {
  const { outputs, state, scalars } = updateOutputs(optimizer, specs, options);
  return { model: exportOnnx(outputs, `${optimizer.name}-update`), state, scalars };
}

/** The output tensors of an update graph (named by {@link UPDATE_NAMES}), before export. */
export function updateOutputs(
  optimizer: Optimizer,
  specs: readonly ParamSpec[],
  options: UpdateGraphOptions = {},
): { outputs: Record<string, Tensor>; state: StateSlot[]; scalars: string[]; grads: Record<string, Tensor> } {
  const g = new Graph(options.dtype ?? "float32", options.batching ?? true);
  const params: Record<string, Tensor> = {};
  const grads: Record<string, Tensor> = {};
  for (const spec of specs) {
    params[spec.name] = g.input(UPDATE_NAMES.param(spec.name), spec.shape);
    grads[spec.name] = g.input(UPDATE_NAMES.grad(spec.name), spec.shape);
  }
  const slots = new Map<string, { shape: number[]; tensor: Tensor }>();
  const ctx: UpdateContext = {
    graph: g,
    specs,
    params,
    grads,
    loss: g.input(UPDATE_NAMES.loss, []),
    lr: g.input(UPDATE_NAMES.lr, []),
    step: g.input(UPDATE_NAMES.step, []),
    state(key, shape) {
      const slot = slots.get(key);
      if (slot && slot.shape.join() !== shape.join()) {
        throw new Error(
          `${optimizer.name}: state slot "${key}" declared with shapes [${slot.shape}] and [${shape}]`,
        );
      }
      if (slot) return slot.tensor;
      const tensor = g.input(UPDATE_NAMES.state(key), shape);
      slots.set(key, { shape: [...shape], tensor });
      return tensor;
    },
  };
  const result = optimizer.update(ctx);
  const returned = Object.keys(result.state).sort().join();
  if (returned !== [...slots.keys()].sort().join()) {
    throw new Error(
      `${optimizer.name}: declared state slots [${[...slots.keys()]}] but returned [${
        Object.keys(result.state)
      }]`,
    );
  }
  const outputs: Record<string, Tensor> = {};
  for (const spec of specs) outputs[UPDATE_NAMES.nextParam(spec.name)] = result.params[spec.name];
  for (const [key, t] of Object.entries(result.state)) outputs[UPDATE_NAMES.nextState(key)] = t;
  const withDiagnostics = options.diagnostics ?? true;
  if (withDiagnostics) {
    for (const spec of specs) {
      for (const field of DIAGNOSTIC_FIELDS) {
        outputs[UPDATE_NAMES.diagnostic(spec.name, field)] = result.layers[spec.name][field];
      }
    }
    for (const [key, t] of Object.entries(result.scalars)) outputs[UPDATE_NAMES.scalar(key)] = t;
  }
  return {
    outputs,
    grads,
    state: [...slots].map(([key, slot]) => ({ key, shape: slot.shape })),
    scalars: withDiagnostics ? Object.keys(result.scalars) : [],
  };
}
