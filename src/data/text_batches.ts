/**
 * Deterministic, resumable batches of next-token-prediction windows from a token array.
 *
 * Random order: batch k draws its B window starts from `new Rng(foldIn(seed, k))`, so any batch can be
 * reproduced from (seed, k) alone and a resumed run needs only the step counter. Sequential order (for
 * validation): batch k covers the fixed, non-overlapping windows k*B ... k*B + B - 1, wrapping around.
 */
import { foldIn, Rng } from "../trace/seeds.ts";
import { checkSameSettings } from "./batch_state.ts";

/** Token ids as stored: Int32Array from a tokenizer, Uint16Array from FineWeb shards. */
export type TokenArray = Int32Array | Uint16Array;

/** A batch: inputs and next-token targets, both [batchSize, contextLength] row-major. */
export interface TextBatch {
  x: Int32Array;
  y: Int32Array;
  batchSize: number;
  contextLength: number;
}

/** Options of a {@link TextBatcher}. */
export type TextBatcherOptions =
  & { batchSize: number; contextLength: number }
  & ({ order: "random"; seed: number } | { order: "sequential" });

/** A batcher's position, JSON-serialisable for checkpoints. */
export interface TextBatcherState {
  /** Number of batches already returned. */
  step: number;
  /** The settings the state belongs to; restore checks them. */
  order: "random" | "sequential";
  seed: number | null;
  batchSize: number;
  contextLength: number;
  tokens: number;
}

/** Serves {@link TextBatch}es from a token array; see the module comment for the two orders. */
export class TextBatcher {
  /** Distinct batches before the sequential order wraps around (random order: the same count, for reference). */
  readonly batchesPerPass: number;
  #tokens: TokenArray;
  #options: TextBatcherOptions;
  #step = 0;

  /** Creates a batcher; the token array must hold at least one batch of windows. */
  constructor(tokens: TokenArray, options: TextBatcherOptions) {
    const { batchSize, contextLength } = options;
    for (const [name, value] of [["batchSize", batchSize], ["contextLength", contextLength]] as const) {
      if (!(Number.isInteger(value) && value > 0)) {
        throw new Error(`${name} must be a positive integer, got ${value}.`);
      }
    }
    if (options.order === "random" && !Number.isInteger(options.seed)) {
      throw new Error(`Random text batches need an integer seed, got ${options.seed}.`);
    }
    this.batchesPerPass = Math.floor((tokens.length - 1) / (batchSize * contextLength));
    const needed = options.order === "random" ? contextLength + 1 : batchSize * contextLength + 1;
    if (tokens.length < needed) {
      throw new Error(
        `${tokens.length} tokens are too few for ${options.order} batches of ${batchSize} x ${contextLength} ` +
          `(need at least ${needed}); use a smaller batch or context, or more text.`,
      );
    }
    this.#tokens = tokens;
    this.#options = { ...options };
  }

  /** The next batch. */
  next(): TextBatch {
    const { batchSize, contextLength } = this.#options;
    const x = new Int32Array(batchSize * contextLength);
    const y = new Int32Array(batchSize * contextLength);
    const starts = this.#windowStarts(this.#step++);
    for (let row = 0; row < batchSize; row++) {
      const window = this.#tokens.subarray(starts[row], starts[row] + contextLength + 1);
      x.set(window.subarray(0, contextLength), row * contextLength);
      y.set(window.subarray(1), row * contextLength);
    }
    return { x, y, batchSize, contextLength };
  }

  /** The current position, for a checkpoint. */
  state(): TextBatcherState {
    const { order, batchSize, contextLength } = this.#options;
    const seed = this.#options.order === "random" ? this.#options.seed : null;
    return { step: this.#step, order, seed, batchSize, contextLength, tokens: this.#tokens.length };
  }

  /** Continues from a saved position; the settings and token count must match the ones it was saved with. */
  restore(state: TextBatcherState): void {
    checkSameSettings("text batches", state, this.state(), ["step"]);
    this.#step = state.step;
  }

  #windowStarts(step: number): number[] {
    const { batchSize, contextLength } = this.#options;
    if (this.#options.order === "random") {
      const rng = new Rng(foldIn(this.#options.seed, step));
      return Array.from({ length: batchSize }, () => rng.int(this.#tokens.length - contextLength));
    }
    const first = (step % this.batchesPerPass) * batchSize;
    return Array.from({ length: batchSize }, (_, row) => (first + row) * contextLength);
  }
}
