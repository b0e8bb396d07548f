/**
 * Run directories and their manifest (DESIGN.md decision 4): `manifest.json` holds the canonical config and
 * its hash, seeds, versions, backend, git revision, routing table and status; the tables sit beside it.
 *
 * A run directory appears whole or not at all: it is built under a temporary sibling name and renamed into
 * place once its manifest is written, and every later manifest write replaces the file atomically (on a
 * full disk, see {@link writeManifest}).
 */

import { dirname } from "node:path";
import { canonicalValue, configHash, type JsonValue } from "./config_hash.ts";
import {
  type GitRevision,
  gitRevision,
  LMOBENCH_VERSION,
  type RuntimeVersions,
  runtimeVersions,
} from "./provenance.ts";
import { isStorageFull, pathExists, tempSibling, writeFileAtomic, writeFully } from "./fs_util.ts";
import { lockHolder, runLockPath } from "./lock.ts";
import { SCHEMA_VERSION } from "./schema.ts";

/**
 * Where a run stands. "interrupted": stopped by a signal with its state saved; `--resume` continues it. A
 * manifest that says "running" while no process holds the run's lock (src/trace/lock.ts) belongs to a
 * writer that was killed outright; see {@link effectiveStatus}.
 */
export type RunStatus = "running" | "done" | "diverged" | "failed" | "interrupted";

/** The contents of `manifest.json` (snake_case, for Python readers). */
export interface Manifest {
  schema_version: number;
  name: string;
  /** The config in canonical form (keys sorted); {@link configHash} of it is `config_hash`. */
  config: JsonValue;
  /** Full SHA-256 hex of the canonical config. */
  config_hash: string;
  seeds: Record<string, number>;
  lmobench_version: string;
  /** Null when the source is not in a git checkout or git could not be run. */
  git: GitRevision | null;
  runtime: RuntimeVersions;
  /** Backend description as given by the runtime module (versions, threads, adapter). */
  backend: JsonValue;
  /** The routing table (parameter -> role -> norm -> lr) as given by the optimizer module. */
  routing: JsonValue;
  /**
   * What the config resolved to on this machine (full workload and optimizer settings, data files and
   * checksums); kept outside the hashed config, since paths vary by machine.
   */
  resolved: JsonValue;
  status: RunStatus;
  /** The step at which the run diverged, when status is "diverged". */
  diverged_step: number | null;
  /** What went wrong, when status is "failed". */
  error: string | null;
  /** ISO 8601 times. */
  started_at: string;
  resumed_at: string[];
  finished_at: string | null;
  /** Training wall-clock seconds, set by the caller when the run ends. */
  wall_s: number | null;
}

/** What the caller knows when a run starts; the rest of the manifest is measured here. */
export interface RunInit {
  name: string;
  config: unknown;
  seeds: Record<string, number>;
  backend: Record<string, unknown>;
  routing: unknown[];
  /** See {@link Manifest.resolved} (default null). */
  resolved?: unknown;
}

/** A status change: the new status and what goes with it. */
export interface StatusPatch {
  status: RunStatus;
  /** Required with "diverged". */
  diverged_step?: number;
  /** Required with "failed". */
  error?: string;
  /** Defaults to now for "done", "diverged" and "failed" (null for "running" and "interrupted"). */
  finished_at?: string;
  wall_s?: number;
}

const MANIFEST = "manifest.json";
const STATUSES: readonly RunStatus[] = ["running", "done", "diverged", "failed", "interrupted"];

/** True for the statuses of a run that ended and must never be rewritten ("done", "diverged"). */
export function isFinished(status: RunStatus): boolean {
  return status === "done" || status === "diverged";
}

/** Path of a run directory's manifest. */
export function manifestPath(dir: string): string {
  return `${dir}/${MANIFEST}`;
}

/** Builds the manifest of a new run: canonical config and hash, versions, git revision, status "running". */
async function newManifest(init: RunInit): Promise<Manifest> {
  for (const [stream, seed] of Object.entries(init.seeds)) {
    if (!Number.isInteger(seed)) throw new Error(`seed "${stream}" is ${seed}; seeds must be integers`);
  }
  return {
    schema_version: SCHEMA_VERSION,
    name: init.name,
    config: canonicalValue(init.config),
    config_hash: await configHash(init.config),
    seeds: { ...init.seeds },
    lmobench_version: LMOBENCH_VERSION,
    git: await gitRevision(),
    runtime: runtimeVersions(),
    backend: canonicalValue(init.backend, "backend"),
    routing: canonicalValue(init.routing, "routing"),
    resolved: canonicalValue(init.resolved ?? null, "resolved"),
    status: "running",
    diverged_step: null,
    error: null,
    started_at: new Date().toISOString(),
    resumed_at: [],
    finished_at: null,
    wall_s: null,
  };
}

/**
 * Writes `manifest.json` atomically: to a temporary file, synced, then renamed over the old one. When the
 * disk is too full for that copy, the manifest is written compactly over the old file's own bytes (padded
 * with spaces to its length, so the write needs no new space), which is how a run still gets marked
 * failed on a full disk.
 */
export function writeManifest(dir: string, manifest: Manifest): void {
  const path = manifestPath(dir);
  try {
    writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"));
  } catch (error) {
    if (!isStorageFull(error) || !pathExists(path)) throw error;
    const compact = new TextEncoder().encode(JSON.stringify(manifest));
    const size = Deno.statSync(path).size;
    if (compact.byteLength + 1 > size) throw error;
    const padded = new Uint8Array(size).fill(0x20);
    padded.set(compact);
    padded[size - 1] = 0x0a;
    const file = Deno.openSync(path, { write: true });
    try {
      writeFully(file, padded);
      file.syncDataSync();
    } finally {
      file.close();
    }
  }
}

/** Reads and checks a run directory's manifest. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = manifestPath(dir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${dir} is not a run directory: it has no ${MANIFEST}`);
    }
    throw error;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); the file is damaged`);
  }
  if (manifest.schema_version !== SCHEMA_VERSION) {
    throw new Error(
      `${path} has schema_version ${manifest.schema_version}, but this lmo-bench reads version ${SCHEMA_VERSION}; ` +
        `use the lmo-bench release that wrote it`,
    );
  }
  return manifest;
}

/**
 * Creates run directory `path` holding the manifest of a new run and returns that manifest. If `path`
 * exists, refuses unless `resume`; with `resume`, the existing run must have the same config hash (and a
 * manifest whose config still matches its own hash). A finished run ("done", "diverged") is returned as it
 * is, never rewritten; any other is set back to "running" with the resume time recorded. A run that does
 * not exist yet is created even with `resume`, so a retried command works the same on its first attempt.
 * The caller holds the run's lock (src/trace/lock.ts).
 */
export async function createRunDir(
  path: string,
  init: RunInit,
  options: { resume?: boolean } = {},
): Promise<Manifest> {
  const manifest = await newManifest(init);
  if (pathExists(path)) {
    if (!options.resume) {
      throw new Error(`${path} already exists; pass --resume to continue it or choose another --out`);
    }
    return await resumeRun(path, manifest);
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = tempSibling(path, "partial");
  await Deno.mkdir(temp);
  try {
    writeManifest(temp, manifest);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp, { recursive: true });
    throw error;
  }
  return manifest;
}

/**
 * Checks that a manifest's config still hashes to its `config_hash`: a config edited by hand no longer
 * describes the run's data, so resuming or reporting it would mislabel the run.
 */
export async function assertConfigIntact(dir: string, manifest: Manifest): Promise<void> {
  const hash = await configHash(manifest.config);
  if (hash !== manifest.config_hash) {
    throw new Error(
      `${manifestPath(dir)} was edited: its config hashes to ${hash.slice(0, 12)}, not to the stored ` +
        `config_hash ${manifest.config_hash.slice(0, 12)}; restore the original config, or start a new run ` +
        `with the changed config in another directory`,
    );
  }
}

/** Marks an existing unfinished run of the same config as running again; a finished one is left as it is. */
async function resumeRun(path: string, fresh: Manifest): Promise<Manifest> {
  const old = await readManifest(path);
  await assertConfigIntact(path, old);
  if (old.config_hash !== fresh.config_hash) {
    throw new Error(
      `${path} holds a run of another config (config_hash ${old.config_hash.slice(0, 12)}, this config ` +
        `${fresh.config_hash.slice(0, 12)}); choose another --out to run this config`,
    );
  }
  if (isFinished(old.status)) return old;
  const resumed: Manifest = {
    ...old,
    status: "running",
    diverged_step: null,
    error: null,
    finished_at: null,
    resumed_at: [...old.resumed_at, new Date().toISOString()],
  };
  writeManifest(path, resumed);
  return resumed;
}

/** Sets a run's status (and what goes with it) in its manifest, atomically, and returns the new manifest. */
export async function updateStatus(dir: string, patch: StatusPatch): Promise<Manifest> {
  if (!STATUSES.includes(patch.status)) {
    throw new Error(`status "${patch.status}" is unknown; use one of ${STATUSES.join(", ")}`);
  }
  if (patch.status === "diverged" && !Number.isInteger(patch.diverged_step)) {
    throw new Error(`status "diverged" needs diverged_step (the integer step where the loss blew up)`);
  }
  if (patch.status === "failed" && typeof patch.error !== "string") {
    throw new Error(`status "failed" needs an error message`);
  }
  const old = await readManifest(dir);
  const ended = patch.status !== "running" && patch.status !== "interrupted";
  const updated: Manifest = {
    ...old,
    status: patch.status,
    diverged_step: patch.diverged_step ?? null,
    error: patch.error ?? null,
    finished_at: patch.finished_at ?? (ended ? new Date().toISOString() : null),
    wall_s: patch.wall_s ?? old.wall_s,
  };
  writeManifest(dir, updated);
  return updated;
}

/**
 * A run's status as a reader should take it: "running" only while a process holds the run's lock; a
 * manifest left at "running" by a writer that was killed outright (SIGKILL, power loss) reads as
 * "interrupted", which `--resume` continues from its last checkpoint.
 */
export function effectiveStatus(dir: string, manifest: Manifest): RunStatus {
  return manifest.status === "running" && lockHolder(runLockPath(dir)) === null
    ? "interrupted"
    : manifest.status;
}
