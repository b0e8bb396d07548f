/** What a workload is: named parameters with roles, a batch layout and a loss graph builder. */
import type { DType, Graph, Tensor } from "../graph/mod.ts";
import type { ParamSpec } from "../contracts/params.ts";

/** One input of a batch (tokens, targets, images, labels). */
export interface BatchSpec {
  name: string;
  shape: number[];
  dtype: DType;
}

/** What a workload's graph builder returns. */
export interface LossGraph {
  /** Mean (or, where the workload says so, summed) training loss: a scalar. */
  loss: Tensor;
  /** Optional scalar metrics computed alongside (e.g. number of correct predictions). */
  metrics?: Record<string, Tensor>;
}

/** A model plus its batch layout: everything the training loop needs to build a step graph. */
export interface Workload {
  /** Preset name, e.g. `nanogpt-tiny`. */
  name: string;
  kind: "text" | "image";
  /** The resolved configuration (recorded in manifests and config hashes). */
  config: Record<string, unknown>;
  params: ParamSpec[];
  batch: BatchSpec[];
  /** Builds the loss from parameter and batch tensors (keyed by name) into graph `g`. */
  buildLoss(g: Graph, params: Record<string, Tensor>, batch: Record<string, Tensor>): LossGraph;
}
