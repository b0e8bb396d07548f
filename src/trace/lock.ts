/**
 * One writer per run directory and per reproduce output folder: an exclusive `flock` on a lock file that
 * also names its owner (pid, host, start time, command). The kernel drops the lock when its owner dies,
 * however it dies, so a lock left by a killed process is stale by construction and the next writer takes
 * it over; a live owner's lock is refused with its pid and host.
 */
import { writeFully } from "./fs_util.ts";

/** Who holds a lock, as written in the lock file. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO 8601 time the lock was taken. */
  since: string;
  command: string;
}

/** A lock this process holds; {@link DirLock.release} gives it back. */
export interface DirLock {
  /** The lock file. */
  path: string;
  /** The owner recorded by a writer that died holding this lock (taken over), else null. */
  staleOwner: LockOwner | null;
  release(): void;
}

/** The lock file of run directory `dir`: a sibling `<dir>.lock`, so removing the directory keeps it. */
export function runLockPath(dir: string): string {
  return `${dir.replace(/\/+$/, "")}.lock`;
}

/** Describes an owner for messages: "pid 123 on host-a (since ..., deno task run ...)". */
export function describeOwner(owner: LockOwner | null): string {
  if (!owner) return "another process (it has not written its pid yet)";
  return `pid ${owner.pid} on ${owner.host} (since ${owner.since}: ${owner.command})`;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text);
    return Number.isInteger(owner?.pid) && typeof owner.host === "string" ? owner : null;
  } catch {
    return null;
  }
}

function readOwner(file: Deno.FsFile): LockOwner | null {
  const size = file.statSync().size;
  const bytes = new Uint8Array(size);
  file.seekSync(0, Deno.SeekMode.Start);
  for (let read = 0; read < size;) {
    const n = file.readSync(bytes.subarray(read));
    if (n === null) break;
    read += n;
  }
  return parseOwner(new TextDecoder().decode(bytes));
}

function sameFile(file: Deno.FsFile, path: string): boolean {
  try {
    return Deno.statSync(path).ino === file.statSync().ino;
  } catch {
    return false;
  }
}

/**
 * Takes the exclusive lock `path` for `what` (e.g. "run directory R"), or throws naming the live owner.
 * A lock file left by a dead owner is taken over (see {@link DirLock.staleOwner}).
 */
export function acquireLock(path: string, what: string): DirLock {
  for (;;) {
    const file = Deno.openSync(path, { read: true, write: true, create: true });
    if (!file.tryLockSync(true)) {
      const owner = readOwner(file);
      file.close();
      throw new Error(
        `${what} is in use by ${
          describeOwner(owner)
        }; wait for it to finish, or stop it first (lock ${path})`,
      );
    }
    // A previous owner may have released and unlinked the file between our open and our lock: retry.
    if (!sameFile(file, path)) {
      file.close();
      continue;
    }
    const staleOwner = readOwner(file);
    const owner: LockOwner = {
      pid: Deno.pid,
      host: Deno.hostname(),
      since: new Date().toISOString(),
      command: [Deno.mainModule.split("/").pop(), ...Deno.args].join(" ").slice(0, 300),
    };
    file.truncateSync(0);
    file.seekSync(0, Deno.SeekMode.Start);
    writeFully(file, new TextEncoder().encode(JSON.stringify(owner) + "\n"));
    let held = true;
    return {
      path,
      staleOwner,
      release() {
        if (!held) return;
        held = false;
        try {
          Deno.removeSync(path);
        } finally {
          file.close();
        }
      },
    };
  }
}

/** The live owner of lock `path`, or null when no process holds it (no file, or a dead owner's file). */
export function lockHolder(path: string): LockOwner | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  try {
    if (file.tryLockSync(false)) {
      file.unlockSync();
      return null;
    }
    return readOwner(file) ?? { pid: -1, host: "unknown", since: "", command: "" };
  } finally {
    file.close();
  }
}
