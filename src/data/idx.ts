/**
 * The IDX format of MNIST and Fashion-MNIST (raw or gzipped): a big-endian magic 0x0000TTNN (type TT,
 * NN dimensions), NN big-endian uint32 sizes, then the data. Only unsigned bytes (type 0x08) occur in
 * these sets and only they are supported: magic 2051 for images [N, rows, cols], 2049 for labels [N].
 */
import { join } from "node:path";
import { pathExists, readFileExplained, writeFileAtomic } from "./files.ts";

/** Magic of an IDX file of unsigned-byte images [N, rows, cols]. */
export const IDX_IMAGES_MAGIC = 0x00000803;

/** Magic of an IDX file of unsigned-byte labels [N]. */
export const IDX_LABELS_MAGIC = 0x00000801;

const UNSIGNED_BYTE = 0x08;

/** An IDX array of unsigned bytes. */
export interface IdxArray {
  /** The dimensions, outermost first. */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/** Reads an IDX file of unsigned bytes, gunzipping it first when it starts with the gzip signature. */
export async function readIdx(path: string): Promise<IdxArray> {
  const raw = await readFileExplained(
    path,
    "IDX file",
    "Fashion-MNIST's IDX files come with Debian's dataset-fashion-mnist package " +
      "(/usr/share/datasets/fashion-mnist) or from github.com/zalandoresearch/fashion-mnist.",
  );
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? await gunzip(raw, path) : raw;
  if (bytes.length < 4) throw new Error(`${path} is not an IDX file: it holds only ${bytes.length} bytes.`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
    throw new Error(
      `${path} has magic ${magic} (0x${magic.toString(16).padStart(8, "0")}), not an IDX magic ` +
        `(${IDX_IMAGES_MAGIC} for images, ${IDX_LABELS_MAGIC} for labels); is it an IDX file?`,
    );
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw new Error(
      `IDX file ${path} holds type 0x${bytes[2].toString(16).padStart(2, "0")}; only unsigned bytes (0x08) ` +
        `are supported, as in MNIST and Fashion-MNIST.`,
    );
  }
  const rank = bytes[3];
  const dataStart = 4 + 4 * rank;
  if (bytes.length < dataStart) {
    throw new Error(`IDX file ${path} is truncated inside its header (${bytes.length} bytes).`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, dataStart);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((product, d) => product * d, 1);
  if (bytes.length - dataStart !== expected) {
    throw new Error(
      `IDX file ${path} has dims [${dims.join(", ")}], which need ${expected} data bytes, but it holds ` +
        `${bytes.length - dataStart}; the file is ${
          bytes.length - dataStart < expected ? "truncated" : "corrupt"
        }.`,
    );
  }
  return { dims, data: bytes.subarray(dataStart) };
}

/** Writes an uncompressed IDX file of unsigned bytes (atomically). */
export async function writeIdx(path: string, dims: readonly number[], data: Uint8Array): Promise<void> {
  const expected = dims.reduce((product, d) => product * d, 1);
  if (data.length !== expected) {
    throw new Error(`IDX dims [${dims.join(", ")}] need ${expected} bytes, got ${data.length}.`);
  }
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, (UNSIGNED_BYTE << 8) | dims.length, false);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  const bytes = new Uint8Array(header.byteLength + data.length);
  bytes.set(new Uint8Array(header.buffer), 0);
  bytes.set(data, header.byteLength);
  await writeFileAtomic(path, bytes);
}

/** Images and labels read from a pair of IDX files. */
export interface IdxImageSet {
  /** Pixels as bytes, [n, rows, cols] row-major. */
  pixels: Uint8Array;
  /** One label per image. */
  labels: Uint8Array;
  n: number;
  rows: number;
  cols: number;
}

/** Reads an IDX images file (magic 2051) and its labels file (magic 2049) and checks that they agree. */
export async function readIdxImageSet(imagesPath: string, labelsPath: string): Promise<IdxImageSet> {
  const images = await readIdx(imagesPath);
  const labels = await readIdx(labelsPath);
  expectMagic(imagesPath, images, IDX_IMAGES_MAGIC, "images");
  expectMagic(labelsPath, labels, IDX_LABELS_MAGIC, "labels");
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) {
    throw new Error(`${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels.`);
  }
  return { pixels: images.data, labels: labels.data, n, rows, cols };
}

function expectMagic(path: string, array: IdxArray, magic: number, what: string): void {
  const found = (UNSIGNED_BYTE << 8) | array.dims.length;
  if (found !== magic) {
    throw new Error(
      `${path} has IDX magic ${found} (${array.dims.length} dims) but ${what} files have magic ${magic}; ` +
        `were the images and labels files swapped?`,
    );
  }
}

/** The official Fashion-MNIST split as IDX files: train (60000 images) and test (10000). */
export interface IdxSplitFiles {
  train: IdxImageSet;
  test: IdxImageSet;
  /** The four file paths read. */
  files: string[];
}

/** Where Debian's dataset-fashion-mnist package installs the gzipped IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Reads `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
 * `t10k-labels-idx1-ubyte` from a directory, each raw or with a `.gz` suffix.
 */
export async function readIdxDirectory(dir: string): Promise<IdxSplitFiles> {
  const stems = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
  ];
  const files: string[] = [];
  const missing: string[] = [];
  for (const stem of stems) {
    const found = [join(dir, stem), join(dir, `${stem}.gz`)];
    if (await pathExists(found[0])) files.push(found[0]);
    else if (await pathExists(found[1])) files.push(found[1]);
    else missing.push(`${stem}[.gz]`);
  }
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not found in ${dir}. An IDX directory holds ${stems.join(", ")} ` +
        `(optionally gzipped); on Debian, \`apt-get install dataset-fashion-mnist\` puts them in ` +
        `${DEBIAN_FASHION_MNIST_DIR}.`,
    );
  }
  return {
    train: await readIdxImageSet(files[0], files[1]),
    test: await readIdxImageSet(files[2], files[3]),
    files,
  };
}

async function gunzip(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(
      `${path} looks gzipped but does not decompress (${(error as Error).message}); fetch it again.`,
    );
  }
}
