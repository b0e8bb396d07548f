/**
 * The `timings` table of a timing job's run directory (src/bench/timing_run.ts): one row per sample of the
 * interleaved step-time benchmark, and its reader for reports.
 */
import { filePath, readRows, streamPath } from "./arrow_read.ts";
import { pathExists } from "./fs_util.ts";
import { defineTable, type TableSpec } from "./schema.ts";

/** One timed sample: the mean ms per step of `variant` in `round`, with the 1-minute load average then. */
export interface TimingSample {
  round: number;
  /** Position of the variant within its round (0 = first). */
  position: number;
  variant: string;
  msPerStep: number;
  load1: number;
}

/** One row per timed sample (see {@link TimingSample}). */
export const TIMINGS_TABLE: TableSpec = defineTable("timings", [
  { name: "round", type: "int32", nullable: false },
  { name: "position", type: "int32", nullable: false },
  { name: "variant", type: "utf8", nullable: false },
  { name: "ms_per_step", type: "float64", nullable: false },
  { name: "load_1m", type: "float64", nullable: false },
]);

/** A sample as a table row. */
export function timingRow(s: TimingSample): Record<string, number | string> {
  return {
    round: s.round,
    position: s.position,
    variant: s.variant,
    ms_per_step: s.msPerStep,
    load_1m: s.load1,
  };
}

/** The samples of a run directory's timings table, or null when it has none (a training run). */
export async function readTimings(dir: string): Promise<TimingSample[] | null> {
  if (!pathExists(filePath(dir, TIMINGS_TABLE.name)) && !pathExists(streamPath(dir, TIMINGS_TABLE.name))) {
    return null;
  }
  return (await readRows(dir, TIMINGS_TABLE.name)).map((r) => ({
    round: Number(r.round),
    position: Number(r.position),
    variant: String(r.variant),
    msPerStep: Number(r.ms_per_step),
    load1: Number(r.load_1m),
  }));
}

/** The per-round ratios msPerStep(a) / msPerStep(b), in round order (the paired samples of a claim). */
export function pairedRatios(samples: readonly TimingSample[], a: string, b: string): number[] {
  const of = (v: string) =>
    new Map(samples.filter((s) => s.variant === v).map((s) => [s.round, s.msPerStep]));
  const ta = of(a), tb = of(b);
  return [...ta.keys()].sort((x, y) => x - y).filter((r) => tb.has(r)).map((r) => ta.get(r)! / tb.get(r)!);
}
