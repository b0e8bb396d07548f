/** File-system helpers shared by the run-directory writers: existence, temporary names, durable writes. */

/** True when `path` exists (as a file, directory or link). */
export function pathExists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A fresh name beside `path` for something built before being renamed to `path`. */
export function tempSibling(path: string, tag = "tmp"): string {
  return `${path}.${tag}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Writes all of `bytes` to `file` (a single write may write less than asked). */
export function writeFully(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.byteLength;) offset += file.writeSync(bytes.subarray(offset));
}

/**
 * Replaces `path` with `bytes` atomically: writes a temporary sibling, syncs it and renames it over `path`,
 * so readers see the old file or the new one, never a mix. On failure the temporary file is removed.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = tempSibling(path);
  const file = Deno.openSync(temp, { createNew: true, write: true });
  try {
    try {
      writeFully(file, bytes);
      file.syncDataSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temp, path);
  } catch (error) {
    Deno.removeSync(temp);
    throw error;
  }
}
