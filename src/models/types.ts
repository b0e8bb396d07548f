/** What a workload is: named parameters with roles, a batch layout and a loss graph builder. */
import type { DType, Graph, Tensor } from "../graph/mod.ts";
import type { Rng } from "../trace/seeds.ts";

/**
 * The role of a parameter, which optimizers route on:
 * - `hidden`: a weight matrix inside the network body ([out, in], PyTorch layout);
 * - `conv`: a convolution kernel [C_out, C_in, k, k];
 * - `embedding`: an input token embedding [vocab, d] (not tied);
 * - `position`: learned position embeddings [ctx, d];
 * - `head`: the output layer [classes or vocab, d] (not tied);
 * - `tied_embedding`: one matrix used as both token embedding and output head [vocab, d];
 * - `bias`: a bias vector (including BatchNorm's trainable bias);
 * - `gain`: a normalisation gain vector.
 */
export type Role = "hidden" | "conv" | "embedding" | "position" | "head" | "tied_embedding" | "bias" | "gain";

/** One trainable parameter: a stable dotted name (e.g. `h.4.attn.c_q`), its shape, role and initializer. */
export interface ParamSpec {
  name: string;
  shape: number[];
  role: Role;
  /** Fills the initial values (float32, row-major) from a seeded generator. */
  init(rng: Rng): Float32Array;
}

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
