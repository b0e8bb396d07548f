/**
 * Reading a run's tables: the finalised Arrow IPC file `<name>.arrow` when present, else the IPC stream
 * `<name>.arrows`, keeping every complete record batch of a stream whose tail a crash cut off.
 */

import { Message, Table, tableFromIPC } from "apache-arrow";
import { pathExists } from "./fs_util.ts";
import type { CellValue } from "./schema.ts";

/** The result of reading one table. */
export interface TableRead {
  /** The record batches that were read completely. */
  table: Table;
  /** The file that was read. */
  path: string;
  /** Bytes at the end of a stream that held no complete message (a crash mid-write); 0 when intact. */
  damagedTailBytes: number;
}

/** Path of a table's IPC stream file, written while a run is going. */
export function streamPath(dir: string, name: string): string {
  return `${dir}/${name}.arrows`;
}

/** Path of a table's IPC file, written when a run is finalised. */
export function filePath(dir: string, name: string): string {
  return `${dir}/${name}.arrow`;
}

const CONTINUATION = 0xffffffff;
const FILE_MAGIC = "ARROW1";

/**
 * The byte length of the complete messages at the start of an Arrow IPC stream (schema, record batches and
 * the end-of-stream marker if present). Throws if the bytes are not an Arrow IPC stream.
 */
export function completeStreamLength(bytes: Uint8Array, where: string): number {
  if (new TextDecoder().decode(bytes.subarray(0, FILE_MAGIC.length)) === FILE_MAGIC) {
    throw new Error(
      `${where} is an Arrow IPC file, not a stream: read it with tableFromIPC or rename it .arrow`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let complete = 0;
  while (complete + 8 <= bytes.byteLength) {
    if (view.getUint32(complete, true) !== CONTINUATION) {
      throw new Error(
        `${where} is not an Arrow IPC stream (no message marker at byte ${complete}); ` +
          `was it written by another tool or overwritten?`,
      );
    }
    const metadataLength = view.getInt32(complete + 4, true);
    if (metadataLength === 0) return complete + 8; // end-of-stream marker
    const metadataEnd = complete + 8 + metadataLength;
    if (metadataEnd > bytes.byteLength) break;
    const message = Message.decode(bytes.subarray(complete + 8, metadataEnd));
    if (complete === 0 && !message.isSchema()) {
      throw new Error(`${where} is not an Arrow IPC stream: its first message is not a schema`);
    }
    const messageEnd = metadataEnd + Number(message.bodyLength);
    if (messageEnd > bytes.byteLength) break;
    complete = messageEnd;
  }
  return complete;
}

/**
 * Decodes an Arrow IPC stream held in memory, dropping an incomplete tail. A stream cut before its schema
 * is complete decodes to an empty table with no columns.
 */
export function decodeStream(bytes: Uint8Array, where: string): { table: Table; damagedTailBytes: number } {
  const length = completeStreamLength(bytes, where);
  const table = length === 0 ? new Table() : tableFromIPC(bytes.subarray(0, length));
  return { table, damagedTailBytes: bytes.byteLength - length };
}

/** Decodes a finalised Arrow IPC file, or throws naming it when it is truncated or not an Arrow file. */
function decodeFile(bytes: Uint8Array, where: string): Table {
  const magic = new TextDecoder().decode(bytes.subarray(0, FILE_MAGIC.length));
  const tail = new TextDecoder().decode(bytes.subarray(bytes.byteLength - FILE_MAGIC.length));
  if (magic !== FILE_MAGIC || tail !== FILE_MAGIC) {
    throw new Error(
      `${where} is damaged: not a complete Arrow IPC file (${bytes.byteLength} bytes, truncated or overwritten)`,
    );
  }
  try {
    return tableFromIPC(bytes);
  } catch (error) {
    throw new Error(`${where} is damaged: ${(error as Error).message}`);
  }
}

/**
 * Reads table `name` of run directory `dir`: `<name>.arrow` if it exists, else the `<name>.arrows` stream,
 * tolerating a truncated tail. Throws if neither file exists.
 */
export async function readTable(dir: string, name: string): Promise<TableRead> {
  const file = filePath(dir, name);
  if (pathExists(file)) {
    return { table: decodeFile(await Deno.readFile(file), file), path: file, damagedTailBytes: 0 };
  }
  const stream = streamPath(dir, name);
  if (!pathExists(stream)) {
    throw new Error(`run directory ${dir} has no table "${name}" (neither ${name}.arrow nor ${name}.arrows)`);
  }
  return { ...decodeStream(await Deno.readFile(stream), stream), path: stream };
}

/** The columns of a table as plain arrays (Int32 and Float64 as numbers, Utf8 as strings, nulls as null). */
export function tableColumns(table: Table): Record<string, CellValue[]> {
  const columns: Record<string, CellValue[]> = {};
  for (const field of table.schema.fields) {
    columns[field.name] = Array.from(table.getChild(field.name)!, (v) => v as CellValue);
  }
  return columns;
}

/** Reads table `name` of run directory `dir` as columns (see {@link readTable}, {@link tableColumns}). */
export async function readColumns(dir: string, name: string): Promise<Record<string, CellValue[]>> {
  return tableColumns((await readTable(dir, name)).table);
}

/** Reads table `name` of run directory `dir` as one plain object per row (see {@link readTable}). */
export async function readRows(dir: string, name: string): Promise<Record<string, CellValue>[]> {
  const columns = await readColumns(dir, name);
  const names = Object.keys(columns);
  const rowCount = names.length === 0 ? 0 : columns[names[0]].length;
  return Array.from({ length: rowCount }, (_, i) => Object.fromEntries(names.map((n) => [n, columns[n][i]])));
}
