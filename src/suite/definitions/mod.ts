/** The suites of `deno task reproduce`, in the order they run. */
import type { Suite } from "../types.ts";
import { gluonSmoothness } from "./gluon_smoothness.ts";
import { gluonVsTuned } from "./gluon_vs_tuned.ts";
import { lrSweep } from "./lr_sweep.ts";
import { stepTime } from "./step_time.ts";

/** Every suite by name. */
export const SUITES: readonly Suite[] = [gluonSmoothness, lrSweep, gluonVsTuned, stepTime];

/** The suites named by `--suite` (a name or "all"), or an error listing the valid names. */
export function selectSuites(name: string): Suite[] {
  if (name === "all") return [...SUITES];
  const s = SUITES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown suite "${name}"; valid suites: ${SUITES.map((x) => x.name).join(", ")}, all`);
  return [s];
}
