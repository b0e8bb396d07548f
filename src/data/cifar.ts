/**
 * The CIFAR-10 binary format (`cifar-10-batches-bin`): records of 1 label byte (0-9) followed by 3072
 * pixel bytes, the red, green and blue 32x32 planes in turn (so each record is already CHW).
 * Training files are data_batch_1.bin ... data_batch_5.bin, the test file test_batch.bin.
 */
import { basename, join } from "node:path";
import { readFileExplained, writeFileAtomic } from "./files.ts";

/** Pixel bytes per CIFAR-10 image: 3 channels x 32 x 32. */
export const CIFAR_IMAGE_BYTES = 3 * 32 * 32;

/** Bytes per CIFAR-10 record: one label byte, then the image. */
export const CIFAR_RECORD_BYTES = 1 + CIFAR_IMAGE_BYTES;

/** The CIFAR-10 class names, in label order. */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** Images and labels read from CIFAR-10 binary files. */
export interface CifarImageSet {
  /** Pixels as bytes, [n, 3, 32, 32]. */
  pixels: Uint8Array;
  /** One label (0-9) per image. */
  labels: Uint8Array;
  n: number;
}

const DOWNLOAD_HINT =
  "Download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and " +
  "extract it; the files are in cifar-10-batches-bin/.";

/** Reads one CIFAR-10 binary file, checking its size and every label. */
export async function readCifarBatch(path: string): Promise<CifarImageSet> {
  const bytes = await readFileExplained(path, "CIFAR-10 batch file", DOWNLOAD_HINT);
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new Error(
      `CIFAR-10 file ${path} holds ${bytes.length} bytes, not a positive multiple of the ` +
        `${CIFAR_RECORD_BYTES}-byte record (1 label + 3072 pixels); it is truncated or not CIFAR-10 binary ` +
        `(the Python-pickle version is a different download).`,
    );
  }
  const n = bytes.length / CIFAR_RECORD_BYTES;
  const pixels = new Uint8Array(n * CIFAR_IMAGE_BYTES);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const record = i * CIFAR_RECORD_BYTES;
    const label = bytes[record];
    if (label >= CIFAR10_CLASSES.length) {
      throw new Error(
        `CIFAR-10 file ${path}, record ${i}: label ${label} is not in 0-9; the file is corrupt or is ` +
          `CIFAR-100 (whose records have two label bytes).`,
      );
    }
    labels[i] = label;
    pixels.set(bytes.subarray(record + 1, record + CIFAR_RECORD_BYTES), i * CIFAR_IMAGE_BYTES);
  }
  return { pixels, labels, n };
}

/** Writes images [n, 3, 32, 32] (bytes) and labels as a CIFAR-10 binary file (atomically). */
export async function writeCifarBatch(
  path: string,
  pixels: Uint8Array,
  labels: ArrayLike<number>,
): Promise<void> {
  const n = labels.length;
  if (pixels.length !== n * CIFAR_IMAGE_BYTES) {
    throw new Error(`${n} labels need ${n * CIFAR_IMAGE_BYTES} pixel bytes, got ${pixels.length}.`);
  }
  const bytes = new Uint8Array(n * CIFAR_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= CIFAR10_CLASSES.length) {
      throw new Error(`Label ${label} at index ${i} is not a CIFAR-10 class (0-9).`);
    }
    bytes[i * CIFAR_RECORD_BYTES] = label;
    bytes.set(
      pixels.subarray(i * CIFAR_IMAGE_BYTES, (i + 1) * CIFAR_IMAGE_BYTES),
      i * CIFAR_RECORD_BYTES + 1,
    );
  }
  await writeFileAtomic(path, bytes);
}

/** The CIFAR-10 train and test sets read from a `cifar-10-batches-bin` directory. */
export interface CifarSplitFiles {
  train: CifarImageSet;
  test: CifarImageSet;
  /** The six file paths read. */
  files: string[];
}

/** Records in each of the six official CIFAR-10 binary batches. */
export const CIFAR_OFFICIAL_RECORDS = 10000;

/**
 * Reads data_batch_1.bin ... data_batch_5.bin (train) and test_batch.bin (test) from a directory. A valid
 * directory's six files hold the same number of records: 10000 each in the official download, or any
 * other common count for a subset written with {@link writeCifarBatch}. A file whose count differs from
 * the others' was cut short (often on a record boundary, which no single-file check can see): the error
 * names it.
 */
export async function readCifar10Directory(dir: string): Promise<CifarSplitFiles> {
  const trainFiles = [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`));
  const testFile = join(dir, "test_batch.bin");
  const files = [...trainFiles, testFile];
  const sets: CifarImageSet[] = [];
  for (const path of files) sets.push(await readCifarBatch(path));
  checkEqualRecordCounts(dir, files, sets.map((set) => set.n));
  return { train: concatCifar(sets.slice(0, 5)), test: sets[5], files };
}

/** Throws naming the files whose record count differs from the others' (the official count where present). */
function checkEqualRecordCounts(dir: string, files: string[], counts: number[]): void {
  if (counts.every((n) => n === counts[0])) return;
  const expected = counts.includes(CIFAR_OFFICIAL_RECORDS) ? CIFAR_OFFICIAL_RECORDS : mostCommon(counts);
  const odd = files.flatMap((path, i) =>
    counts[i] === expected ? [] : [`${basename(path)} holds ${counts[i]}`]
  );
  throw new Error(
    `CIFAR-10 directory ${dir}: ${odd.join(", ")} records where the other files hold ${expected} each ` +
      `(the official batches hold ${CIFAR_OFFICIAL_RECORDS} records of ${CIFAR_RECORD_BYTES} bytes). The file is ` +
      `truncated: extract cifar-10-binary.tar.gz again (or write every file of a subset with the same count).`,
  );
}

function mostCommon(values: number[]): number {
  const tally = new Map<number, number>();
  for (const v of values) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

function concatCifar(parts: CifarImageSet[]): CifarImageSet {
  const n = parts.reduce((sum, part) => sum + part.n, 0);
  const pixels = new Uint8Array(n * CIFAR_IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let offset = 0;
  for (const part of parts) {
    pixels.set(part.pixels, offset * CIFAR_IMAGE_BYTES);
    labels.set(part.labels, offset);
    offset += part.n;
  }
  return { pixels, labels, n };
}
