/**
 * File helpers shared by the data readers: reads that explain a missing file, and atomic writes.
 */
import { dirname } from "node:path";

/**
 * Reads a whole file. A missing file becomes an error that says what was expected there and how to get
 * it (`hint`), instead of a bare "No such file or directory".
 */
export async function readFileExplained(path: string, what: string, hint: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${what} not found at ${path}. ${hint}`);
    }
    throw error;
  }
}

/** Whether a path exists (file or directory). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Writes a file atomically: into a temporary sibling first, then renamed into place, so a concurrent
 * reader (another shard of a sweep, a crashed run) never sees a partial file. Creates missing parents.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${Deno.pid}-${crypto.randomUUID()}`;
  try {
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** The SHA-256 of some bytes as lowercase hex, for provenance fields in run manifests. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
