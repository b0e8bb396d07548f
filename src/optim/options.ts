/**
 * The `--opt.KEY VALUE` options every preset accepts: one flat, typed record of hyperparameters (the
 * `hyper` recorded in manifests), with a parser and a one-line help per key.
 */
import { PRODUCT_NORMS, type ProductNorm, STEP_KINDS, type StepKind } from "./aggregate.ts";
import {
  type Beta,
  MOMENTUM_INITS,
  MOMENTUM_KINDS,
  type MomentumInit,
  type MomentumKind,
} from "./momentum.ts";
import { POLAR_METHODS, type PolarMethod } from "./polar.ts";
import { SCHEDULE_NAMES, type ScheduleName } from "./schedule.ts";
import { parseRouteRules } from "./route.ts";

/** A raw option value as it comes from a command line or a config file. */
export type OptionValue = string | number | boolean;

/** Every hyperparameter of a composed optimizer, by its option key. */
export interface Hyper {
  lr: number;
  schedule: ScheduleName;
  warmup: number;
  decay_start: number;
  lr_floor: number;
  momentum: MomentumKind;
  beta: Beta;
  momentum_init: MomentumInit;
  beta1: number;
  beta2: number;
  eps: number;
  bias_correction: boolean;
  adam_init: MomentumInit;
  polar: PolarMethod;
  ns_steps: number;
  product: ProductNorm;
  step: StepKind;
  scale: number;
  head_scale: number;
  embed_scale: number;
  vector_scale: number;
  wd: number;
  wd_scaled: boolean;
  clip: number;
  fstar: number | null;
  momo_clamp: boolean;
  nuc: "exact" | "stale";
  radius: "lr" | "gluon";
  L0: number | null;
  L1: number | null;
  fit: string | null;
  diag: "cheap" | "full";
  power_iters: number;
  route: string;
}

/** One option: its help line and its parser (which throws a message naming what it expects). */
interface OptionSpec<T> {
  help: string;
  parse(value: OptionValue): T;
}

function asNumber(value: OptionValue, expected: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new Error(`must be ${expected}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function numberIn(expected: string, ok: (n: number) => boolean): (value: OptionValue) => number {
  return (value) => {
    const n = asNumber(value, expected);
    if (!ok(n)) throw new Error(`must be ${expected}, got ${JSON.stringify(value)}`);
    return n;
  };
}

const positive = numberIn("a number > 0", (n) => n > 0);
const nonNegative = numberIn("a number >= 0", (n) => n >= 0);
const fraction = numberIn("a number in [0, 1]", (n) => n >= 0 && n <= 1);
const coefficient = numberIn("a number in [0, 1)", (n) => n >= 0 && n < 1);
const positiveInteger = numberIn("an integer >= 1", (n) => Number.isInteger(n) && n >= 1);

function oneOf<T extends string>(choices: readonly T[]): (value: OptionValue) => T {
  return (value) => {
    if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
    throw new Error(`must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
  };
}

function boolean(value: OptionValue): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1" || value === 1) return true;
  if (value === "false" || value === "0" || value === 0) return false;
  throw new Error(`must be true or false, got ${JSON.stringify(value)}`);
}

function orNone<T>(parse: (value: OptionValue) => T): (value: OptionValue) => T | null {
  return (value) => (value === "none" ? null : parse(value));
}

function text(value: OptionValue): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new Error(`must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Every option key with its help and parser. */
export const OPTIONS: { [K in keyof Hyper]: OptionSpec<Hyper[K]> } = {
  lr: { help: "base learning rate (number > 0)", parse: positive },
  schedule: { help: `lr schedule: ${SCHEDULE_NAMES.join(" | ")}`, parse: oneOf(SCHEDULE_NAMES) },
  warmup: { help: "warmup length, fraction of the run (warmup, cosine)", parse: fraction },
  decay_start: { help: "where constant-linear starts decaying, fraction of the run", parse: fraction },
  lr_floor: { help: "lowest lr multiplier of constant-linear and cosine", parse: fraction },
  momentum: { help: `momentum form: ${MOMENTUM_KINDS.join(" | ")}`, parse: oneOf(MOMENTUM_KINDS) },
  beta: {
    help:
      'momentum coefficient in [0, 1), or "gluon" for b_k = 1 - (k+1)^-1/2 (alpha = 1 - beta sets it the Scion way)',
    parse: (value) => (value === "gluon" ? "gluon" : coefficient(value)),
  },
  momentum_init: {
    help: `momentum buffer start: ${MOMENTUM_INITS.join(" | ")} (first gradient)`,
    parse: oneOf(MOMENTUM_INITS),
  },
  beta1: { help: "Adam first-moment coefficient in [0, 1)", parse: coefficient },
  beta2: { help: "Adam second-moment coefficient in [0, 1)", parse: coefficient },
  eps: { help: "Adam epsilon (number > 0)", parse: positive },
  bias_correction: { help: "Adam bias correction (true | false)", parse: boolean },
  adam_init: {
    help: `Adam moments start: ${MOMENTUM_INITS.join(" | ")} (g, g^2)`,
    parse: oneOf(MOMENTUM_INITS),
  },
  polar: { help: `polar factor iteration: ${POLAR_METHODS.join(" | ")}`, parse: oneOf(POLAR_METHODS) },
  ns_steps: { help: "quintic iteration steps (integer >= 1)", parse: positiveInteger },
  product: {
    help: `product norm across layers: ${PRODUCT_NORMS.join(" | ")} (linfty is GPT-opt's name for max)`,
    parse: (value) => (value === "linfty" ? "max" : oneOf(PRODUCT_NORMS)(value)),
  },
  step: { help: `normalised (lmo) or regularised (rsd) steepest descent`, parse: oneOf(STEP_KINDS) },
  scale: {
    help: "lr multiplier (radius) of hidden and conv layers (Crawshaw presets: the Muon lr ratio)",
    parse: positive,
  },
  head_scale: { help: "lr multiplier of head and tied-embedding layers", parse: positive },
  embed_scale: { help: "lr multiplier of embedding and position layers", parse: positive },
  vector_scale: { help: "lr multiplier of biases and gains", parse: positive },
  wd: { help: "decoupled weight decay: X <- (1 - lr wd) X (number >= 0)", parse: nonNegative },
  wd_scaled: { help: "decay each layer with its own lr, lr x its scale (true | false)", parse: boolean },
  clip: { help: "global gradient-norm clipping (number >= 0; 0 turns it off)", parse: nonNegative },
  fstar: {
    help: 'Momo loss lower bound F_* (a number), or "none" for no truncation',
    parse: orNone((v) => asNumber(v, "a number")),
  },
  momo_clamp: { help: "clamp Momo's h at 0 as the original Momo (true | false)", parse: boolean },
  nuc: {
    help: "nuclear norms in the aggregation: exact | stale (last step's)",
    parse: oneOf(["exact", "stale"] as const),
  },
  radius: {
    help: "layer step length: lr | gluon (t_i = ||g_i||*/(L0 + L1 ||g_i||*) times lr)",
    parse: oneOf(["lr", "gluon"] as const),
  },
  L0: {
    help: 'Gluon L0 for layers without a fit entry (number >= 0, or "none" for the role default 0)',
    parse: orNone(nonNegative),
  },
  L1: {
    help: 'Gluon L1 for layers without a fit entry (number > 0, or "none" for the role default)',
    parse: orNone(positive),
  },
  fit: {
    help: 'Gluon (L0, L1) fit file: JSON array of {"layer"|"param": name, "L0", "L1"} (or "none")',
    parse: orNone(text),
  },
  diag: {
    help: "gradient dual norms of spectral layers with momentum: cheap (NaN) | full (one more polar)",
    parse: oneOf(["cheap", "full"] as const),
  },
  power_iters: {
    help: "power-iteration steps of spectral primal norms (integer >= 1)",
    parse: positiveInteger,
  },
  route: {
    help: "routing rules: 'pattern=norm[:scale],...' or a JSON object (pattern: a role or a name glob)",
    parse: (value) => {
      const rules = text(value);
      parseRouteRules(rules);
      return rules;
    },
  },
};

/** The help of every key, one per line. */
export function optionsHelp(): string {
  const lines = Object.entries(OPTIONS).map(([key, spec]) => `  ${key.padEnd(16)} ${spec.help}`);
  lines.push(`  ${"alpha".padEnd(16)} Scion's momentum: sets beta = 1 - alpha (number in (0, 1])`);
  return lines.join("\n");
}

/**
 * Applies `--opt.KEY VALUE` overrides to a preset's hyperparameters. Every unknown key and bad value is
 * collected into one error that lists the valid keys.
 */
export function applyOverrides(
  context: string,
  defaults: Hyper,
  overrides: Record<string, OptionValue>,
): Hyper {
  const hyper: Hyper = { ...defaults };
  const problems: string[] = [];
  const set = hyper as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    try {
      if (key === "alpha") {
        if ("beta" in overrides) throw new Error("give beta or alpha, not both");
        set.beta = 1 - numberIn("a number in (0, 1]", (n) => n > 0 && n <= 1)(value);
      } else if (Object.hasOwn(OPTIONS, key)) {
        set[key] = OPTIONS[key as keyof Hyper].parse(value);
      } else {
        problems.push(`unknown key "${key}"`);
      }
    } catch (error) {
      problems.push(`${key} ${(error as Error).message}`);
    }
  }
  if (problems.length) {
    throw new Error(`${context}: ${problems.join("; ")}.\nValid keys (--opt.KEY VALUE):\n${optionsHelp()}`);
  }
  return hyper;
}
