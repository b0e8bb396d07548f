/** User optimizers from their own modules: `--optimizer ./my_opt.ts` exporting `makeOptimizer(overrides)`. */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { OptionValue } from "./options.ts";
import type { Optimizer } from "./types.ts";

/** What a user module provides. */
export interface OptimizerModule {
  makeOptimizer(overrides: Record<string, OptionValue>): Optimizer;
}

/** Checks that a value is an {@link Optimizer}, naming what is missing. */
function checkOptimizer(value: unknown, source: string): Optimizer {
  const o = value as Record<string, unknown> | null;
  const missing = [
    typeof o?.name === "string" ? null : "name (string)",
    typeof o?.hyper === "object" && o?.hyper !== null ? null : "hyper (object)",
    ...["route", "update", "lrAt"].map((f) => (typeof o?.[f] === "function" ? null : `${f}()`)),
  ].filter((m) => m !== null);
  if (missing.length) {
    throw new Error(
      `${source}: makeOptimizer() must return an Optimizer (src/optim/types.ts); missing ${
        missing.join(", ")
      }`,
    );
  }
  return o as unknown as Optimizer;
}

/** Imports a module (a path relative to the working directory, or a URL) that exports `makeOptimizer(overrides)`. */
export async function loadOptimizerModule(path: string): Promise<OptimizerModule> {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : pathToFileURL(resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (error) {
    throw new Error(`cannot import optimizer module ${path}: ${(error as Error).message}`);
  }
  const make = mod.makeOptimizer;
  if (typeof make !== "function") {
    throw new Error(
      `optimizer module ${path} must export a function makeOptimizer(overrides) returning an Optimizer`,
    );
  }
  return { makeOptimizer: (overrides) => checkOptimizer(make(overrides), `optimizer module ${path}`) };
}
