/**
 * FineWeb token shards in the exact upstream layout (modded-nanogpt magic 20240520 and GPT-opt magic
 * 20250401), their error messages, directory loading and the shard text dataset.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadTokenShards,
  readTokenShard,
  SHARD_MAGIC_GPT_OPT,
  SHARD_MAGIC_MODDED_NANOGPT,
  writeTokenShard,
} from "../src/data/fineweb.ts";
import { loadTextDataset } from "../src/data/text_dataset.ts";
import { Rng } from "../src/trace/seeds.ts";
import { withTempDir } from "./helpers/temp.ts";

/** Builds shard bytes by hand, independently of writeTokenShard: 256 LE int32 header, LE uint16 tokens. */
function shardBytes(magic: number, version: number, declaredTokens: number, tokens: number[]): Uint8Array {
  const bytes = new Uint8Array(1024 + 2 * tokens.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, magic, true);
  view.setInt32(4, version, true);
  view.setInt32(8, declaredTokens, true);
  tokens.forEach((t, i) => {
    bytes[1024 + 2 * i] = t & 0xff;
    bytes[1024 + 2 * i + 1] = t >> 8;
  });
  return bytes;
}

function randomTokens(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(50257));
}

Deno.test("writeTokenShard writes the upstream byte layout, and readTokenShard reads it back", async () => {
  await withTempDir(async (dir) => {
    const tokens = [...randomTokens(999, 1), 0, 50256, 65535];
    for (const magic of [SHARD_MAGIC_MODDED_NANOGPT, SHARD_MAGIC_GPT_OPT]) {
      const path = join(dir, `shard_${magic}.bin`);
      await writeTokenShard(path, Int32Array.from(tokens), magic);
      assert.deepEqual(await Deno.readFile(path), shardBytes(magic, 1, tokens.length, tokens));
      const read = await readTokenShard(path);
      assert.ok(read instanceof Uint16Array);
      assert.deepEqual(Array.from(read), tokens);
    }
    const header = new Int32Array(
      (await Deno.readFile(join(dir, `shard_${SHARD_MAGIC_MODDED_NANOGPT}.bin`))).buffer,
      0,
      256,
    );
    assert.deepEqual(Array.from(header.subarray(0, 3)), [20240520, 1, tokens.length]);
    assert.ok(header.subarray(3).every((v) => v === 0));
  });
});

Deno.test("a hand-built shard reads back; an empty shard is valid", async () => {
  await withTempDir(async (dir) => {
    const tokens = randomTokens(300, 2);
    await Deno.writeFile(join(dir, "a.bin"), shardBytes(20240520, 1, 300, tokens));
    assert.deepEqual(Array.from(await readTokenShard(join(dir, "a.bin"))), tokens);
    await Deno.writeFile(join(dir, "empty.bin"), shardBytes(20250401, 1, 0, []));
    assert.equal((await readTokenShard(join(dir, "empty.bin"))).length, 0);
  });
});

Deno.test("corrupt shards get errors that name the problem", async () => {
  await withTempDir(async (dir) => {
    const tokens = randomTokens(100, 3);
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "magic.bin",
        shardBytes(12345, 1, 100, tokens),
        /has magic 12345; accepted magics are 20240520 \(modded-nanogpt .*\), 20250401 \(GPT-opt\)/,
      ],
      ["version.bin", shardBytes(20240520, 7, 100, tokens), /has version 7; only version 1 is supported/],
      [
        "truncated.bin",
        shardBytes(20240520, 1, 100, tokens).subarray(0, 1024 + 2 * 60),
        /is truncated: the header's token count says 100 tokens, the file holds 60/,
      ],
      [
        "long.bin",
        shardBytes(20240520, 1, 90, tokens),
        /is longer than its header says: the header's token count says 90 tokens, the file holds 100/,
      ],
      ["short.bin", new Uint8Array(100), /holds 100 bytes, less than the 1024-byte header/],
    ];
    for (const [name, bytes, message] of cases) {
      await Deno.writeFile(join(dir, name), bytes);
      await assert.rejects(readTokenShard(join(dir, name)), message, name);
    }
    await assert.rejects(
      readTokenShard(join(dir, "absent.bin")),
      /Token shard not found at .*absent\.bin\. FineWeb shards/,
    );
    await assert.rejects(
      writeTokenShard(join(dir, "x.bin"), [1, 70000]),
      /Token 70000 at index 1 does not fit a uint16/,
    );
    await assert.rejects(writeTokenShard(join(dir, "x.bin"), [1], 42), /Unknown shard magic 42/);
  });
});

Deno.test("loadTokenShards concatenates train shards in name order and reads the val shard", async () => {
  await withTempDir(async (dir) => {
    const parts = [randomTokens(500, 10), randomTokens(300, 11), randomTokens(200, 12)];
    const val = randomTokens(250, 13);
    // Written out of order to check the sort; a stray file must be ignored.
    await writeTokenShard(join(dir, "fineweb_train_000003.bin"), parts[2]);
    await writeTokenShard(join(dir, "fineweb_train_000001.bin"), parts[0]);
    await writeTokenShard(join(dir, "fineweb_train_000002.bin"), parts[1], SHARD_MAGIC_GPT_OPT);
    await writeTokenShard(join(dir, "fineweb_val_000000.bin"), val);
    await Deno.writeTextFile(join(dir, "README.md"), "not a shard");

    const all = await loadTokenShards(dir);
    assert.deepEqual(Array.from(all.train), parts.flat());
    assert.deepEqual(Array.from(all.val), val);
    assert.deepEqual(all.trainFiles, [
      "fineweb_train_000001.bin",
      "fineweb_train_000002.bin",
      "fineweb_train_000003.bin",
    ]);
    assert.deepEqual(all.valFiles, ["fineweb_val_000000.bin"]);

    const firstTwo = await loadTokenShards(dir, { maxTrainShards: 2 });
    assert.deepEqual(Array.from(firstTwo.train), [...parts[0], ...parts[1]]);

    const dataset = await loadTextDataset({ source: { fineweb: dir, maxTrainShards: 1 }, tokenizer: "gpt2" });
    assert.deepEqual(Array.from(dataset.train), parts[0]);
    assert.deepEqual(Array.from(dataset.val), val);
    assert.equal(dataset.vocabSize, 50257);
    assert.deepEqual(dataset.description.corpus, {
      name: "fineweb-shards",
      source: dir,
      trainFiles: ["fineweb_train_000001.bin"],
      valFiles: ["fineweb_val_000000.bin"],
    });
    await assert.rejects(
      loadTextDataset({ source: { fineweb: dir }, tokenizer: "char" }),
      /use tokenizer: "gpt2"/,
    );
    await assert.rejects(
      loadTextDataset({ source: { fineweb: dir }, tokenizer: "gpt2", valFraction: 0.1 }),
      /valFraction does not apply to shard directories/,
    );
    await assert.rejects(
      loadTokenShards(dir, { maxTrainShards: 0 }),
      /maxTrainShards must be a positive integer/,
    );
  });
});

Deno.test("loadTokenShards explains a missing directory or missing shards", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(loadTokenShards(join(dir, "nope")), /Shard directory .*nope does not exist/);
    await writeTokenShard(join(dir, "fineweb_val_000000.bin"), [1, 2, 3]);
    await assert.rejects(
      loadTokenShards(dir),
      /has no train shards \(\*_train_NNNNNN\.bin\); it holds fineweb_val_000000\.bin/,
    );
  });
});

Deno.test("a shard with token ids beyond the GPT-2 vocabulary fails at load, naming the shard and position", async () => {
  await withTempDir(async (dir) => {
    await writeTokenShard(join(dir, "fineweb_train_000001.bin"), randomTokens(100, 20));
    const val = randomTokens(40, 21);
    val[17] = 50257;
    val[30] = 65535;
    await writeTokenShard(join(dir, "fineweb_val_000000.bin"), val);
    await assert.rejects(
      loadTextDataset({ source: { fineweb: dir }, tokenizer: "gpt2" }),
      /Token shard .*fineweb_val_000000\.bin holds token id 50257 at position 17 \(2 of its 40 tokens are out of range\), beyond the tokenizer's vocabulary of 50257 ids \(0\.\.50256\).*tokenize it again/,
    );
    // The largest GPT-2 id (<|endoftext|>) is in range, and without a vocabulary any uint16 reads back.
    val[17] = 50256;
    val[30] = 0;
    await writeTokenShard(join(dir, "fineweb_val_000000.bin"), val);
    assert.deepEqual(
      Array.from((await loadTextDataset({ source: { fineweb: dir }, tokenizer: "gpt2" })).val),
      val,
    );
  });
});
