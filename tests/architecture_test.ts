/**
 * The one-way house (docs/design.md, "Rooms and arrows"): each folder of src/ is a room that may import only
 * from the rooms listed for it here, so data flows config -> suite -> jobs -> train (graph -> runtime) ->
 * run directories -> smoothness and report, and nothing under src/ reaches up into benchmarks/ or tests/.
 * A new room must be added to this table on purpose.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** Room -> the rooms it may import from (besides itself). */
export const ALLOWED: Record<string, readonly string[]> = {
  graph: [],
  trace: ["graph"],
  stats: ["trace"],
  runtime: ["graph"],
  contracts: ["graph", "trace", "runtime"],
  data: ["graph", "trace"],
  models: ["graph", "trace", "contracts"],
  optim: ["graph", "trace", "contracts"],
  smoothness: ["graph", "trace", "contracts", "optim", "stats"],
  train: ["graph", "trace", "contracts", "runtime", "data", "models", "optim", "smoothness", "stats"],
  suite: ["graph", "trace", "contracts", "runtime", "data", "models", "optim", "train", "stats"],
  bench: ["graph", "trace", "contracts", "runtime", "data", "models", "optim", "train", "stats", "suite"],
  report: ["graph", "trace", "contracts", "smoothness", "stats", "suite"],
  cli: [
    "graph",
    "trace",
    "contracts",
    "runtime",
    "data",
    "models",
    "optim",
    "smoothness",
    "train",
    "suite",
    "bench",
    "report",
    "stats",
  ],
};

/** Every .ts file under a directory. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...tsFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The relative module specifiers a source imports or re-exports, statically or dynamically. */
export function relativeSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+"(\.[^"]+)"/g, /\bimport\s*\(\s*"(\.[^"]+)"\s*\)/g, /^\s*import\s+"(\.[^"]+)"/gm];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** The room of a path under src/, or the top folder it lies in outside src/ ("../benchmarks"...). */
function roomOf(path: string): string {
  const rel = relative(SRC, path);
  return rel.startsWith("..") ? rel.split("/").slice(0, 2).join("/") : rel.split("/")[0];
}

/** Every import that breaks the table, as "file: from -> to (specifier)". */
function violations(): string[] {
  const bad: string[] = [];
  for (const file of tsFiles(SRC)) {
    const from = roomOf(file);
    for (const spec of relativeSpecifiers(Deno.readTextFileSync(file))) {
      const to = roomOf(resolve(dirname(file), spec));
      if (to === from || ALLOWED[from]?.includes(to)) continue;
      bad.push(`${relative(SRC, file)}: ${from} -> ${to} ("${spec}")`);
    }
  }
  return bad;
}

Deno.test("architecture: every room of src/ is in the table of allowed arrows", () => {
  const rooms = [...Deno.readDirSync(SRC)].filter((e) => e.isDirectory).map((e) => e.name).sort();
  assert.deepEqual(rooms.filter((r) => !(r in ALLOWED)), [], "add the new room to ALLOWED and docs/design.md");
});

Deno.test("architecture: no import in src/ points against the arrows (and none leaves src/)", () => {
  assert.deepEqual(violations(), []);
});

Deno.test("architecture: the import scanner sees static, re-exported and dynamic imports", () => {
  const source = [
    'import { a } from "../optim/mod.ts";',
    'export type { B } from "./b.ts";',
    'const m = await import("../../benchmarks/x.ts");',
    'import "./side_effect.ts";',
    'import assert from "node:assert/strict";',
  ].join("\n");
  assert.deepEqual(relativeSpecifiers(source).sort(), [
    "../../benchmarks/x.ts",
    "../optim/mod.ts",
    "./b.ts",
    "./side_effect.ts",
  ]);
});
