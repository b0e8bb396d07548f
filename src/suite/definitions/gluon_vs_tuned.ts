/**
 * `gluon-vs-tuned`: the `gluon` preset, whose per-layer radii t_i = ||g_i||* / (L0_i + L1_i ||g_i||*) come
 * from the (L0, L1) fit of the uScion smoothness run, against that uScion run with Scion's tuned radii.
 */
import { seedLabel } from "../seeds.ts";
import type { Suite, SuiteJob } from "../types.ts";
import { uscionSmoothnessJob } from "./gluon_smoothness.ts";
import { SCALE_SETTINGS } from "../scales.ts";

/** The suite. */
export const gluonVsTuned: Suite = {
  name: "gluon-vs-tuned",
  description:
    "Gluon with radii from the fitted (L0, L1) against uScion with tuned radii, same model, data and steps.",
  defaultSeeds: (scale) => SCALE_SETTINGS[scale].gluonSeeds,
  jobs(scale, seeds) {
    const s = SCALE_SETTINGS[scale];
    const jobs: SuiteJob[] = [];
    for (const seed of seeds) {
      const tuned = uscionSmoothnessJob(scale, seed);
      jobs.push(tuned);
      jobs.push({
        id: `gluon-vs-tuned/${s.gptModded}/gluon/${seedLabel(seed)}`,
        fitFrom: tuned.id,
        config: {
          ...tuned.config,
          suite: "gluon-vs-tuned",
          tags: { variant: "gluon" },
          optimizer: "gluon",
          opt: { fit: `run:${tuned.id}` },
          smoothnessEvery: 0,
        },
      });
    }
    return jobs;
  },
};
