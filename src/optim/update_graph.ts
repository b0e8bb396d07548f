/**
 * An optimizer's update as a graph of its own, with gradients as inputs: for tests, benchmarks and any
 * caller that computes gradients elsewhere. The training step embeds `optimizer.update` in the fused
 * forward/backward graph instead; the naming here is local to this module.
 */
import { exportOnnx, Graph, type OnnxModel, type Tensor } from "../graph/mod.ts";
import type { ParamSpec } from "../models/types.ts";
import type { Backend, HostData } from "../runtime/backend.ts";
import { Program } from "../runtime/program.ts";
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
}

/** Builds the update graph of `optimizer` for parameters `specs`. */
export function buildUpdateGraph(
  optimizer: Optimizer,
  specs: readonly ParamSpec[],
  options: UpdateGraphOptions = {},
): UpdateGraph {
  const g = new Graph(options.dtype ?? "float32");
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
    model: exportOnnx(outputs, `${optimizer.name}-update`),
    state: [...slots].map(([key, slot]) => ({ key, shape: slot.shape })),
    scalars: withDiagnostics ? Object.keys(result.scalars) : [],
  };
}

/** What one host-driven step returns. */
export interface StepOutput {
  params: Record<string, HostData>;
  /** Per-layer diagnostics as numbers (empty without diagnostics). */
  layers: Record<string, Record<keyof LayerDiagnostics, number>>;
  scalars: Record<string, number>;
}

/** Runs an update graph step by step on a backend, carrying the optimizer state between steps. */
export class UpdateStepper {
  #state: Record<string, HostData>;

  private constructor(
    readonly program: Program,
    readonly graph: UpdateGraph,
    readonly specs: readonly ParamSpec[],
    readonly dtype: "float32" | "float64",
  ) {
    this.#state = Object.fromEntries(
      graph.state.map((s) => [s.key, this.#array(s.shape.reduce((a, b) => a * b, 1))]),
    );
  }

  /** Builds and loads the update graph of `optimizer`. */
  static async create(
    backend: Backend,
    optimizer: Optimizer,
    specs: readonly ParamSpec[],
    options: UpdateGraphOptions = {},
  ): Promise<UpdateStepper> {
    const graph = buildUpdateGraph(optimizer, specs, options);
    return new UpdateStepper(
      await Program.load(backend, graph.model),
      graph,
      specs,
      options.dtype ?? "float32",
    );
  }

  #array(n: number): HostData {
    return this.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  }

  #scalar(v: number): HostData {
    const a = this.#array(1);
    a[0] = v;
    return a;
  }

  /** The feeds of one step: parameters, gradients, the carried state and the step's scalars. */
  feeds(
    params: Record<string, HostData>,
    grads: Record<string, HostData>,
    at: { lr: number; step: number; loss?: number },
  ): Record<string, HostData> {
    const feeds: Record<string, HostData> = {
      [UPDATE_NAMES.lr]: this.#scalar(at.lr),
      [UPDATE_NAMES.step]: this.#scalar(at.step),
      [UPDATE_NAMES.loss]: this.#scalar(at.loss ?? 0),
    };
    for (const spec of this.specs) {
      feeds[UPDATE_NAMES.param(spec.name)] = params[spec.name];
      feeds[UPDATE_NAMES.grad(spec.name)] = grads[spec.name];
    }
    for (const slot of this.graph.state) feeds[UPDATE_NAMES.state(slot.key)] = this.#state[slot.key];
    return feeds;
  }

  /** Runs one step, keeps the next state, and returns the next parameters and the diagnostics. */
  async step(
    params: Record<string, HostData>,
    grads: Record<string, HostData>,
    at: { lr: number; step: number; loss?: number },
  ): Promise<StepOutput> {
    const out = await this.program.runToHost(this.feeds(params, grads, at));
    for (const slot of this.graph.state) this.#state[slot.key] = out[UPDATE_NAMES.nextState(slot.key)];
    const result: StepOutput = { params: {}, layers: {}, scalars: {} };
    for (const spec of this.specs) {
      result.params[spec.name] = out[UPDATE_NAMES.nextParam(spec.name)];
      const diag = DIAGNOSTIC_FIELDS.map((f) =>
        [f, out[UPDATE_NAMES.diagnostic(spec.name, f)]?.[0]] as const
      );
      if (diag.every(([, v]) => v !== undefined)) {
        result.layers[spec.name] = Object.fromEntries(diag.map(([f, v]) => [f, Number(v)])) as Record<
          keyof LayerDiagnostics,
          number
        >;
      }
    }
    for (const key of this.graph.scalars) result.scalars[key] = Number(out[UPDATE_NAMES.scalar(key)][0]);
    return result;
  }

  /** Frees the session. */
  release(): Promise<void> {
    return this.program.release();
  }
}
