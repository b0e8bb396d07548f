/**
 * Crash-safe table logging: rows buffered in JS arrays, written as one Arrow record batch per flush to an
 * IPC stream `<name>.arrows` and synced to disk, then finalised to the IPC file `<name>.arrow`.
 *
 * Flushes are synchronous: when `flush()` returns, the batch is on disk, so a process killed after it (even
 * by SIGKILL) leaves a stream that {@link readTable} reads up to that batch. The stream is written through a
 * byte sink of our own rather than `pipeTo`, which keeps nothing on disk until close (ecosystem.md 4.1).
 */

import {
  AsyncByteQueue,
  type Data,
  makeBuilder,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Struct,
  tableToIPC,
} from "apache-arrow";
import type { Schema } from "apache-arrow";
import { decodeStream, filePath, readTable, streamPath, tableColumns } from "./arrow_read.ts";
import { pathExists, tempSibling, writeError, writeFileAtomic, writeFully } from "./fs_util.ts";
import {
  arrowSchema,
  assertSchemaMatches,
  type CellValue,
  type Row,
  rowCells,
  type TableSpec,
} from "./schema.ts";

/** How often a {@link TableWriter} flushes, and whether it continues an earlier run's table. */
export interface TableWriterOptions {
  /** Flush when this many rows are buffered (default 512). */
  flushRows?: number;
  /**
   * Flush on the first `append` at least this many seconds after the last flush (default 10). Checked on
   * append, with no timer, so an idle writer holds its rows until the next append, flush or close.
   */
  flushSeconds?: number;
  /**
   * Continue an existing table: keep its rows with `step < resumeFromStep` (those a checkpoint covers),
   * drop the rest (they will be logged again) and append after them. Without it, an existing table is an
   * error; a table that does not exist yet is started fresh. Requires an int32 `step` column.
   */
  resumeFromStep?: number;
}

/** An {@link AsyncByteQueue} that collects the writer's bytes so that each flush writes them at once. */
class ByteCollector extends AsyncByteQueue {
  #parts: Uint8Array[] = [];

  /** Holds one chunk of IPC bytes until the next {@link ByteCollector.take}. */
  override write(value: ArrayBufferView): void {
    this.#parts.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }

  /** Returns the bytes written since the last call, concatenated. */
  take(): Uint8Array {
    const out = new Uint8Array(this.#parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    this.#parts = [];
    return out;
  }
}

/** The rows of an existing table whose step is below `step`, in column order, checked against `spec`. */
async function rowsBeforeStep(dir: string, spec: TableSpec, step: number): Promise<CellValue[][]> {
  if (!spec.columns.some((c) => c.name === "step" && c.type === "int32")) {
    throw new Error(`table "${spec.name}" has no int32 "step" column, so it cannot be resumed from a step`);
  }
  const existing = await readTable(dir, spec.name);
  if (existing.table.schema.fields.length === 0) return spec.columns.map(() => []);
  assertSchemaMatches(existing.table.schema, spec, existing.path);
  const columns = tableColumns(existing.table);
  const keep = columns.step.map((s) => (s as number) < step);
  return spec.columns.map((c) => columns[c.name].filter((_, i) => keep[i]));
}

/**
 * Appends rows of one table to `<dir>/<name>.arrows`, one record batch per flush.
 *
 * Every batch is built against one frozen schema (a batch whose schema differed would be dropped silently
 * by apache-arrow, arrow-js#388).
 */
export class TableWriter {
  /** The table being written. */
  readonly spec: TableSpec;
  /** The stream file. */
  readonly path: string;
  readonly #dir: string;
  readonly #schema: Schema;
  readonly #flushRows: number;
  readonly #flushMs: number;
  readonly #sink = new ByteCollector();
  readonly #arrow = new RecordBatchStreamWriter();
  #file: Deno.FsFile | null;
  #columns: CellValue[][];
  #rowsFlushed = 0;
  #lastFlush = performance.now();

  private constructor(dir: string, spec: TableSpec, file: Deno.FsFile, options: TableWriterOptions) {
    const flushRows = options.flushRows ?? 512;
    const flushSeconds = options.flushSeconds ?? 10;
    if (!Number.isInteger(flushRows) || flushRows < 1) {
      throw new Error(`flushRows must be a positive integer, got ${flushRows}`);
    }
    if (!(flushSeconds >= 0)) throw new Error(`flushSeconds must be a number >= 0, got ${flushSeconds}`);
    this.spec = spec;
    this.path = streamPath(dir, spec.name);
    this.#dir = dir;
    this.#schema = arrowSchema(spec);
    this.#flushRows = flushRows;
    this.#flushMs = flushSeconds * 1000;
    this.#file = file;
    this.#columns = spec.columns.map(() => []);
    this.#arrow.reset(this.#sink, this.#schema);
  }

  /**
   * Starts table `spec` in run directory `dir`: writes the stream's schema (and, when resuming, the rows
   * kept from before) to a temporary file, syncs it and renames it into place, so the stream is never seen
   * half-made. Throws if the table exists and `resumeFromStep` is not given.
   */
  static async open(dir: string, spec: TableSpec, options: TableWriterOptions = {}): Promise<TableWriter> {
    if (options.resumeFromStep !== undefined && !Number.isInteger(options.resumeFromStep)) {
      throw new Error(`resumeFromStep must be an integer step, got ${options.resumeFromStep}`);
    }
    const path = streamPath(dir, spec.name);
    const finalised = filePath(dir, spec.name);
    const resuming = options.resumeFromStep !== undefined && (pathExists(path) || pathExists(finalised));
    if (!resuming && (pathExists(path) || pathExists(finalised))) {
      throw new Error(
        `table "${spec.name}" already exists in ${dir}; resume the run (resumeFromStep) or write to another directory`,
      );
    }
    const kept = resuming ? await rowsBeforeStep(dir, spec, options.resumeFromStep!) : null;
    const temp = tempSibling(path);
    const file = Deno.openSync(temp, { createNew: true, write: true });
    let writer: TableWriter;
    try {
      writer = new TableWriter(dir, spec, file, options);
      if (kept) writer.#columns = kept;
      writer.flush();
      Deno.renameSync(temp, path);
    } catch (error) {
      file.close();
      Deno.removeSync(temp);
      throw error;
    }
    if (resuming && pathExists(finalised)) Deno.removeSync(finalised);
    return writer;
  }

  /** Rows appended and not yet flushed. */
  get pendingRows(): number {
    return this.#columns[0].length;
  }

  /** Rows in the stream on disk (including those kept on resume). */
  get rowsFlushed(): number {
    return this.#rowsFlushed;
  }

  /** Buffers one row (checked against the spec), flushing when the row or time threshold is reached. */
  append(row: Row): void {
    if (!this.#file) throw new Error(`${this.path} is closed; open a new TableWriter to write more rows`);
    const cells = rowCells(this.spec, row);
    cells.forEach((cell, j) => this.#columns[j].push(cell));
    if (this.pendingRows >= this.#flushRows || performance.now() - this.#lastFlush >= this.#flushMs) {
      this.flush();
    }
  }

  /** Writes the buffered rows as one record batch (and any pending schema bytes) and syncs the file. */
  flush(): void {
    if (!this.#file) throw new Error(`${this.path} is closed`);
    const rows = this.pendingRows;
    if (rows > 0) {
      this.#arrow.write(new RecordBatch(this.#schema, this.#structData(rows)));
    }
    const bytes = this.#sink.take();
    if (rows > 0 && bytes.byteLength === 0) {
      throw new Error(
        `apache-arrow wrote no bytes for a batch of ${rows} rows to ${this.path} (schema mismatch?)`,
      );
    }
    this.#write(bytes);
    this.#rowsFlushed += rows;
    this.#columns = this.spec.columns.map(() => []);
    this.#lastFlush = performance.now();
  }

  /**
   * Appends `bytes` to the stream and syncs it. On failure (a full disk) the stream is cut back to its last
   * complete batch, which also frees the space the partial write took, and the error names the file.
   */
  #write(bytes: Uint8Array): void {
    const file = this.#file!;
    const end = file.seekSync(0, Deno.SeekMode.Current);
    try {
      writeFully(file, bytes);
      file.syncDataSync();
    } catch (error) {
      file.truncateSync(end);
      file.seekSync(end, Deno.SeekMode.Start);
      throw writeError(this.path, error);
    }
  }

  /** The buffered columns as the struct data of one record batch. */
  #structData(rows: number): Data<Struct> {
    const children = this.#schema.fields.map((field, j) => {
      const builder = makeBuilder({ type: field.type, nullValues: [null] });
      for (const cell of this.#columns[j]) builder.append(cell);
      return builder.finish().flush();
    });
    return makeData({ type: new Struct(this.#schema.fields), length: rows, nullCount: 0, children });
  }

  /** Flushes, writes the end-of-stream marker and closes the file. Closing twice is an error. */
  close(): void {
    try {
      this.flush();
      this.#arrow.close();
      this.#write(this.#sink.take());
    } finally {
      this.#file?.close();
      this.#file = null;
    }
  }

  /** Closes the writer if still open and finalises the table (see {@link finalizeTable}). */
  async finalize(): Promise<string> {
    if (this.#file) this.close();
    return await finalizeTable(this.#dir, this.spec.name);
  }
}

/**
 * Converts `<dir>/<name>.arrows` into the Arrow IPC file `<dir>/<name>.arrow` (written to a temporary file,
 * synced, renamed) and then deletes the stream, so a finished run holds one copy of each table. A crash in
 * between leaves both, and readers prefer the complete `.arrow`. A stream with a damaged tail (a crashed
 * run) is finalised with its complete batches. Returns the path of the `.arrow` file.
 */
export async function finalizeTable(dir: string, name: string): Promise<string> {
  const stream = streamPath(dir, name);
  const { table } = decodeStream(await Deno.readFile(stream), stream);
  const target = filePath(dir, name);
  writeFileAtomic(target, tableToIPC(table, "file"));
  await Deno.remove(stream);
  return target;
}
