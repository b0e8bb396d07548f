/**
 * The in-memory image split every image workload consumes: Float32 NCHW pixels in [0, 1] and Int32
 * labels, plus per-channel statistics for normalisation.
 */

/** Image shape [channels, height, width]. */
export type ImageShape = [number, number, number];

/** A split of an image set. */
export interface ImageSplit {
  /** Pixels in [0, 1], NCHW: [n, ...shape]. */
  images: Float32Array;
  /** Class index per image. */
  labels: Int32Array;
  /** Number of images. */
  n: number;
  /** [C, H, W]. */
  shape: ImageShape;
}

/** Builds a split from byte pixels (already NCHW) and byte labels, scaling pixels by 1/255. */
export function imageSplitFromBytes(pixels: Uint8Array, labels: Uint8Array, shape: ImageShape): ImageSplit {
  const n = labels.length;
  const perImage = shape[0] * shape[1] * shape[2];
  if (pixels.length !== n * perImage) {
    throw new Error(
      `${n} labels of [${shape.join(", ")}] images need ${n * perImage} pixels, got ${pixels.length}.`,
    );
  }
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i] / 255;
  return { images, labels: Int32Array.from(labels), n, shape };
}

/** The first `count` images of a split (a view, no copy). */
export function takeImages(split: ImageSplit, count: number): ImageSplit {
  if (!(Number.isInteger(count) && count > 0 && count <= split.n)) {
    throw new Error(
      `Cannot take ${count} images from a split of ${split.n}; use an integer in [1, ${split.n}].`,
    );
  }
  const perImage = split.shape[0] * split.shape[1] * split.shape[2];
  return {
    images: split.images.subarray(0, count * perImage),
    labels: split.labels.subarray(0, count),
    n: count,
    shape: split.shape,
  };
}

/** Per-channel mean and standard deviation, for normalising inputs. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Per-channel mean and (population) standard deviation over all images of a split. */
export function channelStats(split: ImageSplit): ChannelStats {
  const [channels, height, width] = split.shape;
  const plane = height * width;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = 0; i < split.n; i++) {
      const start = (i * channels + c) * plane;
      for (let p = start; p < start + plane; p++) sum += split.images[p];
    }
    const m = sum / (split.n * plane);
    let squares = 0;
    for (let i = 0; i < split.n; i++) {
      const start = (i * channels + c) * plane;
      for (let p = start; p < start + plane; p++) squares += (split.images[p] - m) ** 2;
    }
    mean.push(m);
    std.push(Math.sqrt(squares / (split.n * plane)));
  }
  return { mean, std };
}
