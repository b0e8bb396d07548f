/**
 * Text datasets for the language-model workloads: a corpus (the embedded Moby Dick or a text file)
 * tokenized and split, or pre-tokenized FineWeb shards.
 */
import { Gpt2Tokenizer } from "./bpe_tokenizer.ts";
import { CharTokenizer } from "./char_tokenizer.ts";
import { type CorpusDescription, loadCorpus } from "./corpus.ts";
import { loadTokenShards } from "./fineweb.ts";
import type { TokenArray } from "./text_batches.ts";
import type { Tokenizer, TokenizerName } from "./tokenizer.ts";

/**
 * Where text comes from: the embedded Moby Dick, a UTF-8 file, or a directory of FineWeb shards
 * (GPT-2 tokens; `maxTrainShards` limits how many train shards are read).
 */
export type TextSource = "moby-dick" | { file: string } | { fineweb: string; maxTrainShards?: number };

/** Options of {@link loadTextDataset}. */
export interface TextDatasetOptions {
  source: TextSource;
  /** "char" builds a character vocabulary from the whole corpus; "gpt2" is GPT-2 BPE (required for shards). */
  tokenizer: TokenizerName;
  /**
   * For text sources: the fraction of tokens, taken from the end, held out for validation (default 0.1).
   * Shard directories use their own validation shards instead.
   */
  valFraction?: number;
}

/** Provenance of pre-tokenized shards. */
export interface ShardsDescription {
  name: "fineweb-shards";
  /** The directory read. */
  source: string;
  trainFiles: string[];
  valFiles: string[];
}

/** What a run manifest records about a text dataset (the tokenizer's own record is `tokenizer.toJSON()`). */
export interface TextDatasetDescription {
  corpus: CorpusDescription | ShardsDescription;
  tokenizer: TokenizerName;
  trainTokens: number;
  valTokens: number;
  /** How train and validation were formed. */
  split: string;
}

/** A tokenized text dataset. Token arrays are Int32Array, or Uint16Array as stored in shards. */
export interface TextDataset {
  train: TokenArray;
  val: TokenArray;
  vocabSize: number;
  tokenizer: Tokenizer;
  description: TextDatasetDescription;
}

/** Loads, tokenizes and splits a text dataset. */
export async function loadTextDataset(options: TextDatasetOptions): Promise<TextDataset> {
  const { source, tokenizer: tokenizerName } = options;
  if (typeof source === "object" && "fineweb" in source) {
    if (tokenizerName !== "gpt2") {
      throw new Error(`FineWeb shards hold GPT-2 token ids; use tokenizer: "gpt2", not "${tokenizerName}".`);
    }
    if (options.valFraction !== undefined) {
      throw new Error("valFraction does not apply to shard directories (they have *_val_*.bin); remove it.");
    }
    const tokenizer = await Gpt2Tokenizer.load();
    const shards = await loadTokenShards(source.fineweb, {
      maxTrainShards: source.maxTrainShards,
      vocabSize: tokenizer.vocabSize,
    });
    return {
      train: shards.train,
      val: shards.val,
      vocabSize: tokenizer.vocabSize,
      tokenizer,
      description: {
        corpus: {
          name: "fineweb-shards",
          source: source.fineweb,
          trainFiles: shards.trainFiles,
          valFiles: shards.valFiles,
        },
        tokenizer: tokenizerName,
        trainTokens: shards.train.length,
        valTokens: shards.val.length,
        split: "train shards / val shards",
      },
    };
  }
  const valFraction = options.valFraction ?? 0.1;
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new Error(`valFraction must be in (0, 1), got ${valFraction}.`);
  }
  const corpus = await loadCorpus(source);
  const tokenizer = tokenizerName === "char"
    ? CharTokenizer.fromText(corpus.text)
    : await Gpt2Tokenizer.load();
  const tokens = tokenizer.encode(corpus.text);
  const cut = tokens.length - Math.round(tokens.length * valFraction);
  if (cut <= 0 || cut >= tokens.length) {
    throw new Error(
      `valFraction ${valFraction} leaves an empty split of ${tokens.length} tokens; pick one in (0, 1).`,
    );
  }
  return {
    train: tokens.subarray(0, cut),
    val: tokens.subarray(cut),
    vocabSize: tokenizer.vocabSize,
    tokenizer,
    description: {
      corpus: corpus.description,
      tokenizer: tokenizerName,
      trainTokens: cut,
      valTokens: tokens.length - cut,
      split: `first ${cut} tokens train, last ${tokens.length - cut} validation (valFraction ${valFraction})`,
    },
  };
}
