/**
 * Table specifications of a run directory (DESIGN.md decision 4) and their Arrow schemas.
 *
 * A table is a name plus ordered column specs; every Arrow file and stream of a run is written against the
 * schema built here, so other modules add a table (say "smoothness") by declaring a spec, not by writing code.
 */

import { type DataType, Field, Float64, Int32, Schema, Utf8 } from "apache-arrow";

/** Version of the run-directory format (manifest and table schemas); bumped on any incompatible change. */
export const SCHEMA_VERSION = 1;

/** Schema-metadata key holding {@link SCHEMA_VERSION}. */
export const SCHEMA_VERSION_KEY = "lmo_bench.schema_version";

/** Schema-metadata key holding the table's name. */
export const TABLE_NAME_KEY = "lmo_bench.table";

/** The column types a table may hold: Int32 steps, Float64 metrics, Utf8 names. */
export type ColumnType = "int32" | "float64" | "utf8";

/** One column: its name, type and whether it may hold nulls. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/** A table: its name (also the file stem, `<name>.arrows` / `<name>.arrow`) and its ordered columns. */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

/** A value of one cell as JS sees it. */
export type CellValue = number | string | null;

/** One row: column name to value; nullable columns may be left out. */
export type Row = Record<string, CellValue | undefined>;

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const COLUMN_TYPES: readonly ColumnType[] = ["int32", "float64", "utf8"];

/**
 * Declares a table, checking that its name and column names are lower-case identifiers, column names are
 * unique and types are known.
 */
export function defineTable(name: string, columns: readonly ColumnSpec[]): TableSpec {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(`table name "${name}" is invalid: use lower-case letters, digits and "_" (e.g. "steps")`);
  }
  if (columns.length === 0) throw new Error(`table "${name}" has no columns: declare at least one`);
  const seen = new Set<string>();
  for (const column of columns) {
    if (!NAME_PATTERN.test(column.name)) {
      throw new Error(
        `table "${name}": column name "${column.name}" is invalid: use lower-case letters, digits and "_"`,
      );
    }
    if (seen.has(column.name)) throw new Error(`table "${name}": column "${column.name}" is declared twice`);
    if (!COLUMN_TYPES.includes(column.type)) {
      throw new Error(
        `table "${name}": column "${column.name}" has type "${column.type}"; use one of ${
          COLUMN_TYPES.join(", ")
        }`,
      );
    }
    seen.add(column.name);
  }
  return { name, columns: columns.map((c) => ({ ...c })) };
}

/** A non-nullable column. */
function required(name: string, type: ColumnType): ColumnSpec {
  return { name, type, nullable: false };
}

/** A nullable column. */
function optional(name: string, type: ColumnType): ColumnSpec {
  return { name, type, nullable: true };
}

/**
 * The per-step table: step, wall_s, train_loss, lr, grad_norm, then one nullable Float64 column per name in
 * `extraColumns` (e.g. "momo_tau", "tokens_per_s").
 */
export function stepsTable(extraColumns: readonly string[] = []): TableSpec {
  return defineTable("steps", [
    required("step", "int32"),
    required("wall_s", "float64"),
    required("train_loss", "float64"),
    required("lr", "float64"),
    required("grad_norm", "float64"),
    ...extraColumns.map((name) => optional(name, "float64")),
  ]);
}

/**
 * Per-layer diagnostics in long format: one row per (step, parameter). `layer` is the stable parameter name
 * (e.g. "h.4.attn.c_q"); the smoothness columns are null on steps where they were not measured.
 */
export const LAYERS_TABLE: TableSpec = defineTable("layers", [
  required("step", "int32"),
  required("layer", "utf8"),
  required("role", "utf8"),
  required("norm", "utf8"),
  required("grad_dual", "float64"),
  required("momentum_dual", "float64"),
  required("update_primal", "float64"),
  required("radius", "float64"),
  optional("l_hat", "float64"),
  optional("l_hat_ns", "float64"),
  optional("grad_dual_next", "float64"),
  optional("grad_dual_ns", "float64"),
]);

/** Evaluations: one row per (step, split); accuracy is null for tasks without one (language modelling). */
export const EVALS_TABLE: TableSpec = defineTable("evals", [
  required("step", "int32"),
  required("split", "utf8"),
  required("loss", "float64"),
  optional("accuracy", "float64"),
]);

/** The Arrow type of a column type. */
function arrowType(type: ColumnType): DataType {
  switch (type) {
    case "int32":
      return new Int32();
    case "float64":
      return new Float64();
    case "utf8":
      return new Utf8();
  }
}

/** The Arrow schema of a table, with the format version and table name in its metadata. */
export function arrowSchema(spec: TableSpec): Schema {
  return new Schema(
    spec.columns.map((c) => new Field(c.name, arrowType(c.type), c.nullable)),
    new Map([[SCHEMA_VERSION_KEY, String(SCHEMA_VERSION)], [TABLE_NAME_KEY, spec.name]]),
  );
}

/**
 * Throws unless `schema` has exactly the columns of `spec` (names, order, types, nullability); `where`
 * names the file in the message.
 */
export function assertSchemaMatches(schema: Schema, spec: TableSpec, where: string): void {
  const expected = arrowSchema(spec).fields;
  const describe = (fields: readonly Field[]) =>
    fields.map((f) => `${f.name}:${f.type}${f.nullable ? "?" : ""}`).join(", ");
  const same = schema.fields.length === expected.length &&
    schema.fields.every((f, i) =>
      f.name === expected[i].name && f.typeId === expected[i].typeId && f.nullable === expected[i].nullable
    );
  if (!same) {
    throw new Error(
      `${where} has columns [${describe(schema.fields)}] but table "${spec.name}" expects ` +
        `[${describe(expected)}]; write to another run directory or use the table spec it was written with`,
    );
  }
}

/**
 * Checks one row against a table spec and returns its cells in column order (missing nullable cells become
 * null). Throws, naming the table and column, on an unknown column, a missing value or a wrong type.
 */
export function rowCells(spec: TableSpec, row: Row): CellValue[] {
  for (const key of Object.keys(row)) {
    if (!spec.columns.some((c) => c.name === key)) {
      throw new Error(
        `table "${spec.name}" has no column "${key}"; its columns are ${
          spec.columns.map((c) => c.name).join(", ")
        }`,
      );
    }
  }
  return spec.columns.map((column) => {
    const value = row[column.name];
    if (value === undefined || value === null) {
      if (column.nullable) return null;
      throw new Error(`table "${spec.name}": column "${column.name}" is required but the row has no value`);
    }
    const ok = column.type === "utf8"
      ? typeof value === "string"
      : column.type === "float64"
      ? typeof value === "number"
      : Number.isInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647;
    if (!ok) {
      const wanted = column.type === "int32" ? "an integer in the Int32 range" : `a ${column.type} value`;
      throw new Error(
        `table "${spec.name}": column "${column.name}" needs ${wanted}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  });
}
