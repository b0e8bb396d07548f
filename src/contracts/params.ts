/**
 * The contract between models and optimizers: each trainable parameter with its role. Models declare
 * parameters; optimizers route on roles (DESIGN.md decision 3). Neither room imports the other.
 */
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
