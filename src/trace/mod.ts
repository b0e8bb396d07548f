/**
 * The run-directory format (DESIGN.md decision 4): table schemas, crash-safe Arrow stream writers, readers,
 * manifests, config hashing, provenance and seeds. See docs/python.md for reading runs from Python.
 */

export {
  arrowSchema,
  type CellValue,
  type ColumnSpec,
  type ColumnType,
  defineTable,
  EVALS_TABLE,
  LAYERS_TABLE,
  type Row,
  SCHEMA_VERSION,
  SCHEMA_VERSION_KEY,
  stepsTable,
  TABLE_NAME_KEY,
  type TableSpec,
} from "./schema.ts";
export { finalizeTable, TableWriter, type TableWriterOptions } from "./arrow_stream.ts";
export {
  filePath,
  readColumns,
  readRows,
  readTable,
  streamPath,
  tableColumns,
  type TableRead,
} from "./arrow_read.ts";
export {
  assertConfigIntact,
  createRunDir,
  effectiveStatus,
  isFinished,
  type Manifest,
  manifestPath,
  readManifest,
  type RunInit,
  type RunStatus,
  type StatusPatch,
  updateStatus,
  writeManifest,
} from "./run_dir.ts";
export { acquireLock, describeOwner, type DirLock, lockHolder, type LockOwner, runLockPath } from "./lock.ts";
export { canonicalJson, canonicalValue, configHash, type JsonValue } from "./config_hash.ts";
export {
  type GitRevision,
  gitRevision,
  LMOBENCH_VERSION,
  type RuntimeVersions,
  runtimeVersions,
} from "./provenance.ts";
export { foldIn, Rng } from "./seeds.ts";
