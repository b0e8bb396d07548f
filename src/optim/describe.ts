/** The routing table printed at the start of every run and stored in its manifest (DESIGN.md decision 3). */
import type { ParamSpec } from "../contracts/params.ts";
import type { Optimizer, RouteRow } from "./types.ts";

/** The routing table of an optimizer for a model: one row per parameter, in model order (checked). */
export function describe(optimizer: Optimizer, specs: readonly ParamSpec[]): RouteRow[] {
  const rows = optimizer.route(specs);
  const names = specs.map((s) => s.name).join();
  if (rows.map((r) => r.param).join() !== names) {
    throw new Error(`optimizer ${optimizer.name}: route() must return one row per parameter in model order`);
  }
  return rows;
}

/** Formats a lr multiplier compactly (3000, 0.015, 3.162). */
function formatScale(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

/** A plain-text table of routing rows: parameter, shape, role, norm, lr scale. */
export function formatRoutingTable(rows: readonly RouteRow[]): string {
  const header = ["parameter", "shape", "role", "norm", "lr scale"];
  const body = rows.map((r) => [r.param, `[${r.shape.join(", ")}]`, r.role, r.norm, formatScale(r.lrScale)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(
      "  ",
    ).trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
