/**
 * Deterministic, resumable batching: text windows and image epochs, checked on data whose values name
 * their own positions, so every batch can be verified element by element.
 */
import assert from "node:assert/strict";
import { ImageBatcher } from "../src/data/image_batches.ts";
import type { ImageSplit } from "../src/data/image_set.ts";
import { type TextBatch, TextBatcher } from "../src/data/text_batches.ts";

/** Tokens 0, 1, 2, ...: a window's content reveals its start. */
function arange(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function take<T>(next: () => T, count: number): T[] {
  return Array.from({ length: count }, next);
}

Deno.test("random text batches are contiguous windows with targets shifted by one, inside the array", () => {
  const n = 1000, batchSize = 4, contextLength = 16;
  const batcher = new TextBatcher(arange(n), { batchSize, contextLength, order: "random", seed: 7 });
  const starts: number[] = [];
  for (const batch of take(() => batcher.next(), 200)) {
    assert.equal(batch.x.length, batchSize * contextLength);
    for (let row = 0; row < batchSize; row++) {
      const start = batch.x[row * contextLength];
      starts.push(start);
      for (let t = 0; t < contextLength; t++) {
        assert.equal(batch.x[row * contextLength + t], start + t);
        assert.equal(batch.y[row * contextLength + t], start + t + 1);
      }
    }
  }
  // Starts are uniform on [0, n - contextLength - 1]: check the range and the mean (800 draws).
  assert.ok(Math.min(...starts) >= 0 && Math.max(...starts) <= n - contextLength - 1);
  const mean = starts.reduce((a, b) => a + b, 0) / starts.length;
  const expected = (n - contextLength - 1) / 2;
  const standardError = (n - contextLength) / Math.sqrt(12 * starts.length);
  assert.ok(Math.abs(mean - expected) < 4 * standardError, `mean start ${mean}, expected ${expected}`);
});

Deno.test("text batches: same seed same batches, other seed other batches, restore continues exactly", () => {
  const tokens = arange(5000);
  const options = { batchSize: 3, contextLength: 8, order: "random", seed: 42 } as const;
  const a = new TextBatcher(tokens, options);
  const b = new TextBatcher(tokens, options);
  const other = new TextBatcher(tokens, { ...options, seed: 43 });
  const batchesA = take(() => a.next(), 10);
  assert.deepEqual(take(() => b.next(), 10), batchesA);
  assert.notDeepEqual(take(() => other.next(), 10), batchesA);

  const saved = JSON.parse(JSON.stringify(a.state()));
  const continuation = take(() => a.next(), 5);
  const resumed = new TextBatcher(tokens, options);
  resumed.restore(saved);
  assert.deepEqual(take(() => resumed.next(), 5), continuation);

  const fromUint16 = new TextBatcher(Uint16Array.from(tokens), options);
  assert.deepEqual(take(() => fromUint16.next(), 10), batchesA);

  assert.throws(
    () => other.restore(saved),
    /Cannot restore text batches from a saved state: seed was 42, is 43/,
  );
  assert.throws(
    () => new TextBatcher(arange(4000), options).restore(saved),
    /tokens was 5000, is 4000\. Resume with the same data and settings/,
  );
});

Deno.test("sequential text batches tile the array in order and wrap around", () => {
  const n = 100, batchSize = 2, contextLength = 10;
  const batcher = new TextBatcher(arange(n), { batchSize, contextLength, order: "sequential" });
  assert.equal(batcher.batchesPerPass, Math.floor((n - 1) / (batchSize * contextLength)));
  const pass = take(() => batcher.next(), batcher.batchesPerPass);
  const rowStarts = pass.flatMap((batch: TextBatch) => [0, 1].map((row) => batch.x[row * contextLength]));
  assert.deepEqual(
    rowStarts,
    Array.from({ length: batcher.batchesPerPass * batchSize }, (_, i) => i * contextLength),
  );
  pass.forEach((batch) => assert.deepEqual(Array.from(batch.y), Array.from(batch.x, (v) => v + 1)));
  assert.deepEqual(batcher.next(), pass[0]);
  assert.throws(
    () => new TextBatcher(arange(20), { batchSize, contextLength, order: "sequential" }),
    /20 tokens are too few for sequential batches of 2 x 10 \(need at least 21\)/,
  );
  assert.throws(
    () => new TextBatcher(arange(20), { batchSize: 0, contextLength, order: "sequential" }),
    /batchSize must be a positive integer/,
  );
});

/** n single-channel 2x2 images; image i is filled with i and labelled i. */
function indexedImages(n: number): ImageSplit {
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, i * 4, (i + 1) * 4);
  return { images, labels: arange(n), n, shape: [1, 2, 2] };
}

Deno.test("shuffled image epochs visit every image once, in a new order each epoch", () => {
  const split = indexedImages(10);
  const batcher = new ImageBatcher(split, { batchSize: 3, order: "shuffled", seed: 5, dropLast: false });
  assert.equal(batcher.batchesPerEpoch, 4);
  const epochs = [0, 1].map(() => take(() => batcher.next(), 4));
  for (const epoch of epochs) {
    assert.deepEqual(epoch.map((batch) => batch.size), [3, 3, 3, 1]);
    const seen = epoch.flatMap((batch) => Array.from(batch.y));
    assert.deepEqual([...seen].sort((p, q) => p - q), Array.from({ length: 10 }, (_, i) => i));
    for (const batch of epoch) {
      batch.y.forEach((label, k) =>
        assert.deepEqual(Array.from(batch.x.subarray(k * 4, k * 4 + 4)), [label, label, label, label])
      );
    }
  }
  const order = (epoch: typeof epochs[0]) => epoch.flatMap((batch) => Array.from(batch.y));
  assert.notDeepEqual(order(epochs[0]), order(epochs[1]));
  assert.deepEqual(batcher.state().epoch, 1);

  const dropping = new ImageBatcher(split, { batchSize: 3, order: "shuffled", seed: 5 });
  assert.equal(dropping.batchesPerEpoch, 3);
  const dropped = take(() => dropping.next(), 3).flatMap((batch) => Array.from(batch.y));
  assert.deepEqual(dropped, order(epochs[0]).slice(0, 9));
});

Deno.test("image batches: same seed same batches, other seed other order, restore continues exactly", () => {
  const split = indexedImages(50);
  const options = { batchSize: 8, order: "shuffled", seed: 11 } as const;
  const a = new ImageBatcher(split, options);
  const batchesA = take(() => a.next(), 9);
  const b = new ImageBatcher(split, options);
  assert.deepEqual(take(() => b.next(), 9), batchesA);
  const other = new ImageBatcher(split, { ...options, seed: 12 });
  assert.notDeepEqual(take(() => other.next(), 9), batchesA);

  const saved = JSON.parse(JSON.stringify(a.state()));
  assert.deepEqual([saved.epoch, saved.index], [1, 3]);
  const continuation = take(() => a.next(), 10);
  const resumed = new ImageBatcher(split, options);
  resumed.restore(saved);
  assert.deepEqual(take(() => resumed.next(), 10), continuation);
  assert.throws(() => other.restore(saved), /seed was 11, is 12/);
  assert.throws(
    () => resumed.restore({ ...saved, index: 7 }),
    /Saved batch index 7 exceeds the 6 batches of an epoch/,
  );
});

Deno.test("sequential image batches keep stored order and normalise per channel", () => {
  const split = indexedImages(5);
  const stats = { mean: [2], std: [0.5] };
  const batcher = new ImageBatcher(split, { batchSize: 2, order: "sequential", normalize: stats });
  assert.equal(batcher.batchesPerEpoch, 3);
  const batches = take(() => batcher.next(), 3);
  assert.deepEqual(batches.map((batch) => Array.from(batch.y)), [[0, 1], [2, 3], [4]]);
  batches.forEach((batch) =>
    batch.y.forEach((label, k) => assert.equal(batch.x[k * 4], (label - stats.mean[0]) / stats.std[0]))
  );
  assert.throws(
    () =>
      new ImageBatcher(split, {
        batchSize: 2,
        order: "sequential",
        normalize: { mean: [0, 0], std: [1, 1] },
      }),
    /normalize needs a mean and std per channel \(1\)/,
  );
  assert.throws(
    () => new ImageBatcher(split, { batchSize: 2, order: "sequential", normalize: { mean: [0], std: [0] } }),
    /std of channel 0 is 0/,
  );
  assert.throws(
    () => new ImageBatcher(split, { batchSize: 6, order: "shuffled", seed: 1 }),
    /5 images make no full batch of 6/,
  );
});
