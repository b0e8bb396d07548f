/**
 * Checkpoints for `--resume`: parameters and optimizer state as raw float32 bytes plus a JSON header with the
 * step, the data position and anything else the loop needs to continue bit-identically. One file, written
 * to a temporary name unique to its writer and renamed, so a crash mid-write never leaves a torn checkpoint.
 */

import { writeFileAtomic } from "../trace/fs_util.ts";

/** A named float32 tensor in a checkpoint. */
export interface SavedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** What a checkpoint holds. */
export interface Checkpoint {
  /** The next step to run (steps 0 .. step-1 are done). */
  step: number;
  /** Training wall-clock seconds up to this checkpoint. */
  wallS: number;
  /** JSON-serialisable positions of the data streams and other loop state. */
  extra: Record<string, unknown>;
  tensors: SavedTensor[];
}

const FILE = "checkpoint.bin";
const MAGIC = "LMOCKPT1";

/** Path of a run directory's checkpoint. */
export function checkpointPath(dir: string): string {
  return `${dir}/${FILE}`;
}

/** Writes a checkpoint atomically: MAGIC, header length (uint32 LE), JSON header, then float32 payloads. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint): void {
  const header = new TextEncoder().encode(JSON.stringify({
    step: ckpt.step,
    wallS: ckpt.wallS,
    extra: ckpt.extra,
    tensors: ckpt.tensors.map((t) => ({ name: t.name, shape: t.shape, length: t.data.length })),
  }));
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  const payload = ckpt.tensors.reduce((n, t) => n + t.data.byteLength, 0);
  const bytes = new Uint8Array(MAGIC.length + 4 + header.length + pad + payload);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, header.length + pad, true);
  bytes.set(header, MAGIC.length + 4);
  bytes.fill(0x20, MAGIC.length + 4 + header.length, MAGIC.length + 4 + header.length + pad);
  let offset = MAGIC.length + 4 + header.length + pad;
  for (const t of ckpt.tensors) {
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    offset += t.data.byteLength;
  }
  writeFileAtomic(checkpointPath(dir), bytes);
}

/** Reads a checkpoint, or returns null when the run has none yet. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(checkpointPath(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const where = checkpointPath(dir);
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw new Error(`${where} is not an lmo-bench checkpoint (bad magic); delete it to restart the run from scratch`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + headerLength)));
  let offset = start + headerLength;
  const tensors: SavedTensor[] = header.tensors.map((t: { name: string; shape: number[]; length: number }) => {
    const end = offset + 4 * t.length;
    if (end > bytes.length) throw new Error(`${where} is truncated (tensor ${t.name}); delete it to restart the run`);
    const data = new Float32Array(bytes.slice(offset, end).buffer);
    offset = end;
    return { name: t.name, shape: t.shape, data };
  });
  return { step: header.step, wallS: header.wallS, extra: header.extra, tensors };
}
