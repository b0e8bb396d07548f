/** Command-line helpers shared by the commands: dotted override flags and number parsing with clear errors. */
import { maxThreads, THREADS_PER_CORE } from "../runtime/mod.ts";
import { MAX_SEED } from "../trace/seeds.ts";
import { watchLauncher } from "./stop.ts";

/** Override values as typed on the command line: numbers become numbers, true/false booleans, the rest strings. */
export type OverrideValue = string | number | boolean;

/**
 * Pulls `--PREFIX.KEY VALUE` and `--PREFIX.KEY=VALUE` pairs out of `args` for each prefix, returning them
 * by prefix and the remaining arguments (for node:util parseArgs).
 */
export function extractOverrides(
  args: readonly string[],
  prefixes: readonly string[],
): { overrides: Record<string, Record<string, OverrideValue>>; rest: string[] } {
  const overrides: Record<string, Record<string, OverrideValue>> = Object.fromEntries(prefixes.map((p) => [p, {}]));
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z]+)\.([A-Za-z0-9_.-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m || !prefixes.includes(m[1])) {
      rest.push(args[i]);
      continue;
    }
    let value = m[3];
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new Error(`--${m[1]}.${m[2]} needs a value`);
    }
    overrides[m[1]][m[2]] = parseValue(value);
  }
  return { overrides, rest };
}

/** Interprets a command-line value: a finite number, true/false, or the string itself. */
export function parseValue(v: string): OverrideValue {
  if (v === "true") return true;
  if (v === "false") return false;
  const n = Number(v);
  return v.trim() !== "" && Number.isFinite(n) ? n : v;
}

/** The inclusive range an integer flag accepts. */
export interface IntRange {
  min: number;
  max: number;
  /** Why the bounds are what they are, quoted in the error. */
  why?: string;
}

/** Longest run any flag may ask for: 10^7 steps (the papers' longest runs are about 10^4). */
const MAX_STEPS = 10_000_000;
const STEP_COUNT: IntRange = { min: 1, max: MAX_STEPS, why: "a longer run would not end in any useful time" };
const SEED: IntRange = {
  min: 0,
  max: MAX_SEED,
  why: "seeds are 32-bit; a larger or negative one would alias another seed's numbers",
};

/**
 * The ranges of the integer flags of every command, by flag name: the one place flags are bounded, so
 * `--steps 1e12` or `--threads 100000` fail at the flag instead of running forever or hanging.
 */
export const INT_FLAG_RANGES: Readonly<Record<string, IntRange>> = {
  steps: STEP_COUNT,
  "eval-every": STEP_COUNT,
  "layers-every": STEP_COUNT,
  "checkpoint-every": STEP_COUNT,
  "smoothness-every": { ...STEP_COUNT, min: 0 },
  "eval-batches": { min: 1, max: 100_000 },
  accum: { min: 1, max: 1 << 16, why: "micro-batches per optimizer step" },
  batch: { min: 1, max: 1 << 20 },
  hidden: { min: 1, max: 1 << 14 },
  seeds: { min: 1, max: 1000 },
  seed: SEED,
  "data-seed": SEED,
  workers: { min: 1, max: 64, why: "jobs trained at once, one process each" },
  rounds: { min: 1, max: 1000, why: "times the bench measures every engine" },
  get threads(): IntRange {
    return { min: 1, max: maxThreads(), why: `at most ${THREADS_PER_CORE} per core of this machine` };
  },
};

/**
 * Parses an integer flag written in digits, or throws naming the flag and its valid range. The range is
 * the flag's entry in {@link INT_FLAG_RANGES}; `min` applies only to flags without one.
 */
export function intOption(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const range = INT_FLAG_RANGES[flag] ?? { min, max: Number.MAX_SAFE_INTEGER };
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    const why = range.why ? ` (${range.why})` : "";
    throw new Error(
      `--${flag} must be a whole number from ${range.min} to ${range.max}${why}, got "${v}"`,
    );
  }
  return n;
}

/**
 * Runs a command's main, printing errors as one line (no stack trace) and exiting non-zero; the command
 * ends with the process that launched it (see ./stop.ts).
 */
export function runMain(main: (args: string[]) => Promise<number | void>): void {
  watchLauncher();
  main(Deno.args).then((code) => Deno.exit(code ?? 0), (e) => {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  });
}
