/**
 * Runs an optimizer's stand-alone update graph (src/optim/update_graph.ts) step by step on a backend: for
 * tests, benchmarks and tools that compute gradients elsewhere. Optimizers build graphs; running them lives
 * here, beside the trainer.
 */
import type { ParamSpec } from "../contracts/params.ts";
import type { LayerDiagnostics, Optimizer } from "../optim/types.ts";
import {
  buildUpdateGraph,
  DIAGNOSTIC_FIELDS,
  UPDATE_NAMES,
  type UpdateGraph,
  type UpdateGraphOptions,
} from "../optim/update_graph.ts";
import type { Backend, HostData } from "../runtime/backend.ts";
import { Program } from "../runtime/program.ts";

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
