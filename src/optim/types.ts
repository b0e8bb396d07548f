/**
 * The contract between optimizers and the training step (DESIGN.md decisions 1 and 3): an optimizer
 * emits its update into the step graph, so forward, backward and update run as one ONNX session.
 */
import type { Graph, Tensor } from "../graph/mod.ts";
import type { ParamSpec, Role } from "../contracts/params.ts";

/** One row of the routing table printed at the start of every run and stored in its manifest. */
export interface RouteRow {
  param: string;
  shape: number[];
  role: Role;
  /** The norm whose LMO/dual the parameter's update uses, e.g. `spectral`, `sign`, `adam_infty`. */
  norm: string;
  /** Multiplier of the global learning rate (a radius for LMO methods). */
  lrScale: number;
}

/** What the step builder hands an optimizer: the graph and the tensors of the current step. */
export interface UpdateContext {
  graph: Graph;
  /** Parameter specs in model order. */
  specs: readonly ParamSpec[];
  /** Current parameter values, by name. */
  params: Record<string, Tensor>;
  /** Raw mini-batch gradients, by name. */
  grads: Record<string, Tensor>;
  /** The mini-batch loss at the current parameters (scalar); Momo's model uses it. */
  loss: Tensor;
  /** The scheduled learning rate of this step (scalar input fed each step). */
  lr: Tensor;
  /** The 0-based step index as a float scalar (scalar input fed each step). */
  step: Tensor;
  /**
   * Declares a state slot (zeros at step 0) and returns its current value; the optimizer must return its
   * next value under the same key in {@link UpdateResult.state}.
   */
  state(key: string, shape: readonly number[]): Tensor;
}

/** Per-layer diagnostics, cheap to emit in the step graph; each is a scalar tensor. */
export interface LayerDiagnostics {
  /** Dual norm of the raw gradient in the layer's norm. */
  gradDual: Tensor;
  /** Dual norm of the momentum (or of the direction the LMO is taken of). */
  momentumDual: Tensor;
  /** Primal norm of the parameter update X_{k+1} - X_k. */
  updatePrimal: Tensor;
  /** Effective radius (step length in the layer norm) used this step. */
  radius: Tensor;
}

/** What an optimizer returns: next parameters, next state and diagnostics. */
export interface UpdateResult {
  params: Record<string, Tensor>;
  state: Record<string, Tensor>;
  /** Per-parameter diagnostics, keyed by parameter name. */
  layers: Record<string, LayerDiagnostics>;
  /** Optimizer-wide scalars worth logging each step (e.g. `momo_tau`, `grad_norm`). */
  scalars: Record<string, Tensor>;
}

/** A configured optimizer: routes parameters and emits update graphs. */
export interface Optimizer {
  /** Preset or module name. */
  name: string;
  /** The resolved hyperparameters (recorded in manifests and config hashes). */
  hyper: Record<string, unknown>;
  /** The routing table for a model's parameters. */
  route(specs: readonly ParamSpec[]): RouteRow[];
  /** Emits one update step into the context's graph. */
  update(ctx: UpdateContext): UpdateResult;
  /** The learning rate at a step (0-based) of a run of `totalSteps`, computed on the host and fed in. */
  lrAt(step: number, totalSteps: number): number;
}
