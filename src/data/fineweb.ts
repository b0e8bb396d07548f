/**
 * The token-shard format of modded-nanogpt's FineWeb files (also used by Scion, Gluon and, with its own
 * magic, GPT-opt): a header of 256 little-endian int32 values (magic, version, token count, zeros), then
 * that many little-endian uint16 GPT-2 token ids.
 */
import { join } from "node:path";
import { readFileExplained, writeFileAtomic } from "./files.ts";

/** Magic number of modded-nanogpt / llm.c FineWeb shards (`fineweb_train_000001.bin`). */
export const SHARD_MAGIC_MODDED_NANOGPT = 20240520;

/** Magic number of GPT-opt (Crawshaw et al.) shards: same layout. */
export const SHARD_MAGIC_GPT_OPT = 20250401;

/** Magics accepted by {@link readTokenShard}, with who writes them. */
export const SHARD_MAGICS: Readonly<Record<number, string>> = {
  [SHARD_MAGIC_MODDED_NANOGPT]: "modded-nanogpt / llm.c FineWeb",
  [SHARD_MAGIC_GPT_OPT]: "GPT-opt",
};

/** The only shard format version in use. */
export const SHARD_VERSION = 1;

/** Header length in int32 values (1024 bytes). */
export const SHARD_HEADER_INTS = 256;

const HEADER_BYTES = SHARD_HEADER_INTS * 4;

/**
 * Reads one shard and returns its tokens (a view on the file's bytes, no copy). Errors name the problem:
 * a missing file, an unknown magic (with the accepted ones), a wrong version, a size that disagrees
 * with the header's token count, or (given `vocabSize`) a token id outside the vocabulary.
 */
export async function readTokenShard(path: string, vocabSize?: number): Promise<Uint16Array> {
  const bytes = await readFileExplained(
    path,
    "Token shard",
    "FineWeb shards come from modded-nanogpt's `python data/cached_fineweb10B.py 8` " +
      "(HF kjj0/fineweb10B-gpt2); writeTokenShard converts your own token arrays.",
  );
  if (bytes.length < HEADER_BYTES) {
    throw new Error(
      `Token shard ${path} holds ${bytes.length} bytes, less than the ${HEADER_BYTES}-byte header.`,
    );
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const magic = header.getInt32(0, true);
  if (!(magic in SHARD_MAGICS)) {
    const accepted = Object.entries(SHARD_MAGICS).map(([m, who]) => `${m} (${who})`).join(", ");
    throw new Error(
      `Token shard ${path} has magic ${magic}; accepted magics are ${accepted}. Is it a shard?`,
    );
  }
  const version = header.getInt32(4, true);
  if (version !== SHARD_VERSION) {
    throw new Error(
      `Token shard ${path} has version ${version}; only version ${SHARD_VERSION} is supported.`,
    );
  }
  const tokenCount = header.getInt32(8, true);
  const heldTokens = Math.floor((bytes.length - HEADER_BYTES) / 2);
  if (tokenCount < 0 || bytes.length !== HEADER_BYTES + 2 * tokenCount) {
    const state = heldTokens < tokenCount ? "truncated" : "longer than its header says";
    throw new Error(
      `Token shard ${path} is ${state}: the header's token count says ${tokenCount} tokens, ` +
        `the file holds ${heldTokens} (${bytes.length - HEADER_BYTES} bytes after the header). ` +
        `Download or convert it again.`,
    );
  }
  // Typed arrays use the host's byte order; every platform Deno ships for is little-endian, like the file.
  const start = bytes.byteOffset + HEADER_BYTES;
  const tokens = start % 2 === 0
    ? new Uint16Array(bytes.buffer, start, tokenCount)
    : new Uint16Array(bytes.slice(HEADER_BYTES).buffer);
  if (vocabSize !== undefined) checkTokenIds(path, tokens, vocabSize);
  return tokens;
}

/**
 * Throws naming the shard, the first offending position and the fix unless every token id is below
 * `vocabSize`: an id beyond the vocabulary would otherwise surface as an ORT Gather error at step 0.
 */
function checkTokenIds(path: string, tokens: Uint16Array, vocabSize: number): void {
  let bad = -1;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= vocabSize) {
      bad = i;
      break;
    }
  }
  if (bad < 0) return;
  let count = 0;
  for (let i = bad; i < tokens.length; i++) if (tokens[i] >= vocabSize) count++;
  throw new Error(
    `Token shard ${path} holds token id ${
      tokens[bad]
    } at position ${bad} (${count} of its ${tokens.length} ` +
      `tokens are out of range), beyond the tokenizer's vocabulary of ${vocabSize} ids (0..${
        vocabSize - 1
      }). ` +
      `The shard was written with another tokenizer or is corrupt: tokenize it again with GPT-2's (tiktoken ` +
      `"gpt2", as modded-nanogpt's data/cached_fineweb10B.py does).`,
  );
}

/**
 * Writes tokens as a shard in the upstream format (atomically). Every token must be an integer in
 * [0, 65535] (GPT-2 ids are below 50257). `magic` defaults to modded-nanogpt's.
 */
export async function writeTokenShard(
  path: string,
  tokens: ArrayLike<number>,
  magic: number = SHARD_MAGIC_MODDED_NANOGPT,
): Promise<void> {
  if (!(magic in SHARD_MAGICS)) {
    throw new Error(`Unknown shard magic ${magic}; use one of ${Object.keys(SHARD_MAGICS).join(", ")}.`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + 2 * tokens.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, magic, true);
  view.setInt32(4, SHARD_VERSION, true);
  view.setInt32(8, tokens.length, true);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!Number.isInteger(token) || token < 0 || token > 0xffff) {
      throw new Error(
        `Token ${token} at index ${i} does not fit a uint16 shard (ids must be in [0, 65535]).`,
      );
    }
    view.setUint16(HEADER_BYTES + 2 * i, token, true);
  }
  await writeFileAtomic(path, bytes);
}

/** Train and validation tokens read from a directory of shards. */
export interface ShardSet {
  /** All train shards' tokens, concatenated in file-name order. */
  train: Uint16Array;
  /** All validation shards' tokens, concatenated in file-name order. */
  val: Uint16Array;
  /** Base names of the train shards read. */
  trainFiles: string[];
  /** Base names of the validation shards read. */
  valFiles: string[];
}

const TRAIN_SHARD = /(^|[_-])train[_-]\d+\.bin$/;
const VAL_SHARD = /(^|[_-])val[_-]\d+\.bin$/;

/**
 * Reads the shards of a directory: `*_train_NNNNNN.bin` for training (the first `maxTrainShards` in name
 * order, all by default) and `*_val_NNNNNN.bin` for validation, as modded-nanogpt lays them out. Given
 * `vocabSize`, every token id must be below it (the error names the shard).
 */
export async function loadTokenShards(
  dir: string,
  options: { maxTrainShards?: number; vocabSize?: number } = {},
): Promise<ShardSet> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Shard directory ${dir} does not exist; point it at the folder holding fineweb_*.bin files.`,
      );
    }
    throw error;
  }
  const { maxTrainShards, vocabSize } = options;
  if (maxTrainShards !== undefined && !(Number.isInteger(maxTrainShards) && maxTrainShards > 0)) {
    throw new Error(`maxTrainShards must be a positive integer, got ${maxTrainShards}.`);
  }
  names.sort();
  const trainFiles = names.filter((name) => TRAIN_SHARD.test(name)).slice(0, maxTrainShards);
  const valFiles = names.filter((name) => VAL_SHARD.test(name));
  if (trainFiles.length === 0 || valFiles.length === 0) {
    const missing = trainFiles.length === 0 ? "no train shards (*_train_NNNNNN.bin)" : "";
    const alsoMissing = valFiles.length === 0 ? "no validation shard (*_val_NNNNNN.bin)" : "";
    throw new Error(
      `Shard directory ${dir} has ${[missing, alsoMissing].filter(Boolean).join(" and ")}; ` +
        `it holds ${names.length === 0 ? "no files" : names.slice(0, 8).join(", ")}. ` +
        `modded-nanogpt names them fineweb_train_000001.bin ... and fineweb_val_000000.bin.`,
    );
  }
  return {
    train: await readConcatenated(dir, trainFiles, vocabSize),
    val: await readConcatenated(dir, valFiles, vocabSize),
    trainFiles,
    valFiles,
  };
}

/** Reads shards one at a time into one array sized from the files' lengths (peak memory: the result plus a shard). */
async function readConcatenated(dir: string, files: string[], vocabSize?: number): Promise<Uint16Array> {
  if (files.length === 1) return await readTokenShard(join(dir, files[0]), vocabSize);
  const stats = await Promise.all(files.map((name) => Deno.stat(join(dir, name))));
  const out = new Uint16Array(
    stats.reduce((sum, stat) => sum + Math.max(0, Math.floor((stat.size - HEADER_BYTES) / 2)), 0),
  );
  let offset = 0;
  for (const name of files) {
    const tokens = await readTokenShard(join(dir, name), vocabSize);
    out.set(tokens, offset);
    offset += tokens.length;
  }
  return out;
}
