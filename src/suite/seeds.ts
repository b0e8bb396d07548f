/**
 * The seeds of a suite's jobs (issue 14): every comparative claim is judged over at least
 * {@link DEFAULT_SEEDS} seeds; a suite may default to more at a scale (`Suite.defaultSeeds`). Seed i of a
 * job initialises with `seed + i`; its data order follows the same number unless a data seed is given, then
 * `dataSeed + i`, so a user can vary the initialisation or the data order alone. Without a data seed a job's
 * config, hash and trajectory are what they were before data seeds existed.
 */
import type { Scale } from "./scales.ts";
import type { Suite } from "./types.ts";

/** The seeds of one job: the master (initialisation) seed and, when given apart, the data-order seed. */
export interface JobSeed {
  seed: number;
  dataSeed?: number;
}

/** Seeds per job by default: the fewest a verdict may rest on. */
export const DEFAULT_SEEDS = 3;

/**
 * Seeds per job of a suite at a scale: `given` (`--seeds N`) for every suite, otherwise the suite's own
 * default at that scale, otherwise {@link DEFAULT_SEEDS}.
 */
export function suiteSeedCount(suite: Suite, scale: Scale, given?: number): number {
  return given ?? suite.defaultSeeds?.(scale) ?? DEFAULT_SEEDS;
}

/** `count` job seeds starting at `seed` (and at `dataSeed`, when given). */
export function seedList(count: number, seed = 0, dataSeed?: number): JobSeed[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`--seeds must be a positive integer, got ${count}`);
  }
  for (const [flag, v] of [["--seed", seed], ["--data-seed", dataSeed]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new Error(`${flag} must be an integer >= 0, got ${v}`);
    }
  }
  return Array.from({ length: count }, (_, i) => ({
    seed: seed + i,
    ...(dataSeed === undefined ? {} : { dataSeed: dataSeed + i }),
  }));
}

/** The seed part of a job id: `seed=3`, or `seed=3/data-seed=7` when the data seed is given apart. */
export function seedLabel(s: JobSeed): string {
  return s.dataSeed === undefined ? `seed=${s.seed}` : `seed=${s.seed}/data-seed=${s.dataSeed}`;
}

/** The seed fields of a job config (no `dataSeed` key unless it is given, so old hashes stay). */
export function seedFields(s: JobSeed): JobSeed {
  return s.dataSeed === undefined ? { seed: s.seed } : { seed: s.seed, dataSeed: s.dataSeed };
}
