/**
 * Deterministic, resumable mini-batches of images in epochs.
 *
 * Shuffled order: epoch e visits the images in the permutation drawn by `new Rng(foldIn(seed, e))`, so
 * a resumed run needs only (epoch, index). Sequential order (for evaluation) visits them as stored.
 */
import { foldIn, Rng } from "../trace/seeds.ts";
import { checkSameSettings } from "./batch_state.ts";
import type { ChannelStats, ImageShape, ImageSplit } from "./image_set.ts";

/** A batch: images [size, C, H, W] and their labels. */
export interface ImageBatch {
  x: Float32Array;
  y: Int32Array;
  /** Images in this batch (the batch size, or fewer for a final partial batch). */
  size: number;
  shape: ImageShape;
}

/** Options of an {@link ImageBatcher}. */
export type ImageBatcherOptions =
  & {
    batchSize: number;
    /** Subtract the mean and divide by the std of each channel (use statistics of the train split). */
    normalize?: ChannelStats;
    /** Skip an epoch's final partial batch. Default: true when shuffled, false when sequential. */
    dropLast?: boolean;
  }
  & ({ order: "shuffled"; seed: number } | { order: "sequential" });

/** A batcher's position, JSON-serialisable for checkpoints. */
export interface ImageBatcherState {
  /** Current epoch (from 0). */
  epoch: number;
  /** Batches already returned in the current epoch. */
  index: number;
  /** The settings the state belongs to; restore checks them. */
  order: "shuffled" | "sequential";
  seed: number | null;
  batchSize: number;
  dropLast: boolean;
  images: number;
}

/** Serves {@link ImageBatch}es from an image split, epoch after epoch. */
export class ImageBatcher {
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  #split: ImageSplit;
  #options: ImageBatcherOptions;
  #dropLast: boolean;
  #epoch = 0;
  #index = 0;
  #permutation: { epoch: number; order: Int32Array } | undefined;

  /** Creates a batcher over a split. */
  constructor(split: ImageSplit, options: ImageBatcherOptions) {
    const { batchSize, normalize } = options;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new Error(`batchSize must be a positive integer, got ${batchSize}.`);
    }
    if (options.order === "shuffled" && !Number.isInteger(options.seed)) {
      throw new Error(`Shuffled image batches need an integer seed, got ${options.seed}.`);
    }
    if (normalize) {
      const channels = split.shape[0];
      if (normalize.mean.length !== channels || normalize.std.length !== channels) {
        throw new Error(
          `normalize needs a mean and std per channel (${channels}), got ${JSON.stringify(normalize)}.`,
        );
      }
      const flat = normalize.std.findIndex((s) => !(s > 0));
      if (flat >= 0) {
        throw new Error(`normalize std of channel ${flat} is ${normalize.std[flat]}; it must be > 0.`);
      }
    }
    this.#dropLast = options.dropLast ?? options.order === "shuffled";
    this.batchesPerEpoch = this.#dropLast ? Math.floor(split.n / batchSize) : Math.ceil(split.n / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new Error(
        `${split.n} images make no full batch of ${batchSize}; use a smaller batch or dropLast: false.`,
      );
    }
    this.#split = split;
    this.#options = { ...options };
  }

  /** The next batch; after the last batch of an epoch comes the first of the next. */
  next(): ImageBatch {
    if (this.#index >= this.batchesPerEpoch) {
      this.#epoch++;
      this.#index = 0;
    }
    const { batchSize, normalize } = this.#options;
    const { images, labels, n, shape } = this.#split;
    const perImage = shape[0] * shape[1] * shape[2];
    const start = this.#index++ * batchSize;
    const size = Math.min(batchSize, n - start);
    const order = this.#order();
    const x = new Float32Array(size * perImage);
    const y = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const source = order ? order[start + k] : start + k;
      x.set(images.subarray(source * perImage, (source + 1) * perImage), k * perImage);
      y[k] = labels[source];
    }
    if (normalize) {
      const plane = shape[1] * shape[2];
      for (let k = 0; k < size; k++) {
        for (let c = 0; c < shape[0]; c++) {
          const offset = k * perImage + c * plane;
          const mean = normalize.mean[c];
          const scale = 1 / normalize.std[c];
          for (let p = offset; p < offset + plane; p++) x[p] = (x[p] - mean) * scale;
        }
      }
    }
    return { x, y, size, shape };
  }

  /** The current position, for a checkpoint. */
  state(): ImageBatcherState {
    const { order, batchSize } = this.#options;
    const seed = this.#options.order === "shuffled" ? this.#options.seed : null;
    return {
      epoch: this.#epoch,
      index: this.#index,
      order,
      seed,
      batchSize,
      dropLast: this.#dropLast,
      images: this.#split.n,
    };
  }

  /** Continues from a saved position; the settings and image count must match the ones it was saved with. */
  restore(state: ImageBatcherState): void {
    checkSameSettings("image batches", state, this.state(), ["epoch", "index"]);
    if (state.index > this.batchesPerEpoch) {
      throw new Error(
        `Saved batch index ${state.index} exceeds the ${this.batchesPerEpoch} batches of an epoch.`,
      );
    }
    this.#epoch = state.epoch;
    this.#index = state.index;
  }

  /** This epoch's permutation when shuffled (built once per epoch), undefined when sequential. */
  #order(): Int32Array | undefined {
    if (this.#options.order !== "shuffled") return undefined;
    if (this.#permutation?.epoch !== this.#epoch) {
      const order = Int32Array.from({ length: this.#split.n }, (_, i) => i);
      new Rng(foldIn(this.#options.seed, this.#epoch)).shuffle(order);
      this.#permutation = { epoch: this.#epoch, order };
    }
    return this.#permutation.order;
  }
}
