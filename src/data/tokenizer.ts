/**
 * The tokenizer contract shared by the character-level and GPT-2 BPE tokenizers.
 */

/** Names of the available tokenizers. */
export type TokenizerName = "char" | "gpt2";

/** What a run manifest records about a tokenizer: enough to rebuild it exactly. */
export type TokenizerManifest =
  | { name: "char"; vocabSize: number; vocab: string }
  | { name: "gpt2"; vocabSize: number; library: string; ranks: "gpt2"; eot: number };

/** Maps text to token ids (Int32Array) and back. */
export interface Tokenizer {
  /** Which tokenizer this is. */
  readonly name: TokenizerName;
  /** Number of distinct token ids; every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** Encodes text to token ids. */
  encode(text: string): Int32Array;
  /** Decodes token ids to text. */
  decode(ids: ArrayLike<number>): string;
  /** The manifest record (JSON-serialisable). */
  toJSON(): TokenizerManifest;
}

/** Throws a clear error unless every id is an integer in [0, vocabSize). */
export function checkTokenIds(ids: ArrayLike<number>, vocabSize: number, tokenizer: TokenizerName): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(
        `Token id ${id} at index ${i} is outside the ${tokenizer} vocabulary [0, ${vocabSize}); ` +
          `decode ids produced by the same tokenizer.`,
      );
    }
  }
}
