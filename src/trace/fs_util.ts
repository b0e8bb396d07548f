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
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(temp, { createNew: true, write: true });
  } catch (error) {
    throw writeError(path, error);
  }
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
    throw writeError(path, error);
  }
}

/** True when `error` is the operating system's "no space left on device" (or quota exceeded). */
export function isStorageFull(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/**
 * `error` as an error that names `path` (the OS message of a failed write often names no file), saying
 * what to do when the disk is full. Keeps `code`, so callers can still test {@link isStorageFull}.
 */
export function writeError(path: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes(path)) return error as Error;
  const hint = isStorageFull(error) ? "; the disk is full: free space there, then resume the run" : "";
  const named = new Error(`cannot write ${path}: ${message}${hint}`, { cause: error });
  return Object.assign(named, { code: (error as { code?: string } | null)?.code });
}
