/**
 * GPT-2 byte-pair encoding through js-tiktoken, using the GPT-2 ranks that js-tiktoken ships (the same
 * tokenizer that produced the FineWeb shards of modded-nanogpt and GPT-opt).
 */
import { Tiktoken } from "js-tiktoken/lite";
import gpt2Ranks from "js-tiktoken/ranks/gpt2";
import { findInstalledPackage } from "./npm_package.ts";
import { checkTokenIds, type Tokenizer, type TokenizerManifest } from "./tokenizer.ts";

/** The GPT-2 end-of-text token id ("<|endoftext|>"), which separates documents in FineWeb shards. */
export const GPT2_EOT: number = gpt2Ranks.special_tokens["<|endoftext|>"];

/** The GPT-2 vocabulary size, 50257: the end-of-text token is the last id. */
export const GPT2_VOCAB_SIZE: number = GPT2_EOT + 1;

/**
 * The GPT-2 BPE tokenizer. The literal text "<|endoftext|>" in a corpus encodes to {@link GPT2_EOT}, the
 * usual document separator of GPT-2 corpora.
 */
export class Gpt2Tokenizer implements Tokenizer {
  /** Always "gpt2". */
  readonly name = "gpt2" as const;
  /** 50257. */
  readonly vocabSize: number = GPT2_VOCAB_SIZE;
  #encoding: Tiktoken;
  #library: string;

  private constructor(encoding: Tiktoken, library: string) {
    this.#encoding = encoding;
    this.#library = library;
  }

  /** Builds the tokenizer from the ranks bundled with js-tiktoken (no network). */
  static async load(): Promise<Gpt2Tokenizer> {
    const pkg = await findInstalledPackage("js-tiktoken");
    return new Gpt2Tokenizer(new Tiktoken(gpt2Ranks), `${pkg.name}@${pkg.version}`);
  }

  /** Encodes text to GPT-2 token ids. */
  encode(text: string): Int32Array {
    return Int32Array.from(this.#encoding.encode(text, "all"));
  }

  /** Decodes GPT-2 token ids to text. */
  decode(ids: ArrayLike<number>): string {
    checkTokenIds(ids, this.vocabSize, this.name);
    return this.#encoding.decode(Array.from(ids));
  }

  /** The manifest record. */
  toJSON(): TokenizerManifest {
    return { name: "gpt2", vocabSize: this.vocabSize, library: this.#library, ranks: "gpt2", eot: GPT2_EOT };
  }
}
