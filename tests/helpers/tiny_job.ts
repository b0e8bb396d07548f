/** Run-level tests train a nanogpt-tiny shrunk so that a step takes milliseconds (same code paths). */
import type { JobConfig } from "../../src/contracts/job_config.ts";

/** The shrunk model: 1 layer, 2 heads, width 16, context 16, batch 4. */
export const TINY_GPT_MODEL = { layers: 1, heads: 2, width: 16, context: 16, batch: 4 };

/** A job config for the shrunk nanogpt-tiny on one thread, with `fields` set on top. */
export function tinyGptJob(
  fields: Partial<JobConfig> & Pick<JobConfig, "optimizer">,
): Partial<JobConfig> & Pick<JobConfig, "workload" | "optimizer"> {
  return { workload: "nanogpt-tiny", model: TINY_GPT_MODEL, threads: 1, ...fields };
}
