/**
 * The percentile bootstrap over seeds, deterministic: resamples come from a seeded generator, so the same
 * data give the same interval and p-value on every machine.
 */
import { Rng } from "../trace/seeds.ts";
import { CONFIDENCE } from "./t_tests.ts";
import { quantile } from "./sample.ts";

/** How many resamples a bootstrap draws by default. */
export const BOOTSTRAP_RESAMPLES = 10_000;
/** The generator seed of every bootstrap unless a caller sets one. */
export const BOOTSTRAP_SEED = 20261201;

/** A bootstrap result: the statistic on the data, its percentile interval and a two-sided p against 0. */
export interface BootstrapResult {
  estimate: number;
  ci: [number, number];
  /** Two-sided p against a statistic of 0 (`pAgainst(0)`). */
  p: number;
  /**
   * Two-sided p against a statistic of x: twice the smaller share of resamples on either side of x
   * (counting ties on both), with the +1 correction so that it is never 0.
   */
  pAgainst(x: number): number;
  resamples: number;
}

/** Options: resample count, generator seed, and whether the groups are paired (resampled by one index). */
export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  paired?: boolean;
}

/**
 * Bootstraps `statistic` over independent groups (each resampled with replacement on its own), or over
 * paired groups (equal lengths, one index resample shared by all). The statistic may return ±Infinity
 * (e.g. a median step count of "not reached"). Throws on an empty group or unequal paired lengths.
 */
export function bootstrap(
  groups: readonly (readonly number[])[],
  statistic: (groups: number[][]) => number,
  options: BootstrapOptions = {},
): BootstrapResult {
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  if (groups.some((g) => g.length === 0)) throw new Error("bootstrap: every group needs at least one value");
  if (options.paired && groups.some((g) => g.length !== groups[0].length)) {
    throw new Error(`bootstrap: paired groups need equal lengths, got ${groups.map((g) => g.length)}`);
  }
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const draw = (n: number) => rng.int(n);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let shared: number[] | undefined;
    if (options.paired) shared = Array.from(groups[0], () => draw(groups[0].length));
    const drawn = groups.map((g) => (shared ?? Array.from(g, () => draw(g.length))).map((i) => g[i]));
    stats[r] = statistic(drawn);
  }
  const alpha = 1 - CONFIDENCE;
  const pAgainst = (x: number): number => {
    let below = 0, above = 0;
    for (const s of stats) {
      if (s <= x) below++;
      if (s >= x) above++;
    }
    return Math.min(1, (2 * (Math.min(below, above) + 1)) / (resamples + 1));
  };
  return {
    estimate: statistic(groups.map((g) => [...g])),
    ci: [quantile(stats, alpha / 2), quantile(stats, 1 - alpha / 2)],
    p: pAgainst(0),
    pAgainst,
    resamples,
  };
}
