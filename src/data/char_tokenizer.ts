/**
 * Character-level tokenizer: one token per Unicode code point, vocabulary built from a text.
 */
import { checkTokenIds, type Tokenizer, type TokenizerManifest } from "./tokenizer.ts";

/**
 * A character-level tokenizer. The vocabulary is the set of code points of the text it was built from,
 * sorted by code point, so the same text always gives the same ids.
 */
export class CharTokenizer implements Tokenizer {
  /** Always "char". */
  readonly name = "char" as const;
  /** The vocabulary: `vocab[id]` is the character of token `id`. */
  readonly vocab: readonly string[];
  #ids: Map<string, number>;

  /** Builds a tokenizer from an explicit vocabulary (distinct single code points, any order). */
  constructor(vocab: readonly string[]) {
    this.#ids = new Map();
    for (const [id, ch] of vocab.entries()) {
      if ([...ch].length !== 1) {
        throw new Error(`Character vocabulary entry ${id} (${JSON.stringify(ch)}) is not one code point.`);
      }
      if (this.#ids.has(ch)) {
        throw new Error(
          `Character vocabulary lists ${JSON.stringify(ch)} twice (ids ${this.#ids.get(ch)}, ${id}).`,
        );
      }
      this.#ids.set(ch, id);
    }
    this.vocab = [...vocab];
  }

  /** Builds the vocabulary from every code point in `text`, sorted by code point. */
  static fromText(text: string): CharTokenizer {
    const chars = [...new Set(text)]; // a string iterates by code point
    return new CharTokenizer(chars.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Rebuilds a tokenizer from its manifest record. */
  static fromJSON(manifest: TokenizerManifest): CharTokenizer {
    if (manifest.name !== "char") {
      throw new Error(`Expected a "char" tokenizer manifest, got "${manifest.name}".`);
    }
    const tokenizer = new CharTokenizer([...manifest.vocab]);
    if (tokenizer.vocabSize !== manifest.vocabSize) {
      throw new Error(
        `Char tokenizer manifest says vocabSize ${manifest.vocabSize} but its vocab holds ${tokenizer.vocabSize}.`,
      );
    }
    return tokenizer;
  }

  /** Number of characters in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Encodes each code point of `text`; a character outside the vocabulary is an error. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(text.length);
    let n = 0;
    for (const ch of text) {
      const id = this.#ids.get(ch);
      if (id === undefined) {
        throw new Error(
          `Character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase()}) is not in ` +
            `the ${this.vocabSize}-character vocabulary; build the tokenizer from text that contains it.`,
        );
      }
      ids[n++] = id;
    }
    return n === ids.length ? ids : ids.slice(0, n);
  }

  /** Decodes ids back to text. */
  decode(ids: ArrayLike<number>): string {
    checkTokenIds(ids, this.vocabSize, this.name);
    return Array.from(ids, (id) => this.vocab[id]).join("");
  }

  /** The manifest record: the vocabulary as one string, in id order. */
  toJSON(): TokenizerManifest {
    return { name: "char", vocabSize: this.vocabSize, vocab: this.vocab.join("") };
  }
}
