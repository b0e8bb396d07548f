/**
 * `gluon-smoothness`: Gluon's trajectory-smoothness experiment (papers.md B.2, C.1, C.2). The modded NanoGPT
 * trained with uScion (Scion's radii) measured in Scion's norms; the same model trained with AdamW and
 * measured in Scion's norms; the uScion trajectory measured in Euclidean norms; and the CNN trained with
 * uScion. The report fits (L0, L1) per layer and compares hidden vs embedding L1 and predicted vs used radii.
 */
import { type JobSeed, seedFields, seedLabel } from "../seeds.ts";
import type { Suite, SuiteJob } from "../types.ts";
import { accumConfig, SCALE_SETTINGS } from "../scales.ts";

/** The uScion NanoGPT job that gluon-vs-tuned takes its fit from. */
export function uscionSmoothnessJob(scale: keyof typeof SCALE_SETTINGS, seed: JobSeed): SuiteJob {
  const s = SCALE_SETTINGS[scale];
  return {
    id: `gluon-smoothness/${s.gptModded}/uscion/${seedLabel(seed)}`,
    config: {
      suite: "gluon-smoothness",
      tags: { variant: "uscion", geometry: "scion" },
      workload: s.gptModded,
      optimizer: "uscion",
      steps: s.smoothnessSteps,
      ...accumConfig(s.accum.gptModded),
      ...seedFields(seed),
      data: s.textData,
      tokenizer: s.tokenizer,
      smoothnessEvery: s.smoothnessEvery,
      smoothnessNorms: "scion",
      evalEvery: s.evalEvery,
      evalBatches: s.evalBatches,
    },
  };
}

/** The suite. */
export const gluonSmoothness: Suite = {
  name: "gluon-smoothness",
  description: "Layer-wise (L0, L1)-smoothness along uScion and AdamW trajectories of the modded NanoGPT " +
    "(Scion and Euclidean norms) and of the CNN; per-layer fits, hidden/embedding L1 ratio, predicted vs used radii.",
  defaultSeeds: (scale) => SCALE_SETTINGS[scale].gluonSeeds,
  jobs(scale, seeds) {
    const s = SCALE_SETTINGS[scale];
    const jobs: SuiteJob[] = [];
    for (const seed of seeds) {
      const uscion = uscionSmoothnessJob(scale, seed);
      jobs.push(uscion);
      jobs.push({
        id: `gluon-smoothness/${s.gptModded}/adamw/${seedLabel(seed)}`,
        config: {
          ...uscion.config,
          tags: { variant: "adamw", geometry: "scion" },
          optimizer: "adamw",
          // The authors' AdamW trajectory: lr 3.6e-4, betas (0.9, 0.95), clip 1, torch's default wd 0.01, constant lr.
          opt: { lr: 0.00036, beta2: 0.95, wd: 0.01, clip: 1, schedule: "constant" },
        },
      });
      jobs.push({
        id: `gluon-smoothness/${s.gptModded}/uscion-euclidean/${seedLabel(seed)}`,
        config: {
          ...uscion.config,
          tags: { variant: "uscion", geometry: "euclidean" },
          smoothnessNorms: "euclidean",
        },
      });
      jobs.push({
        id: `gluon-smoothness/${s.cnn}/uscion/${seedLabel(seed)}`,
        config: {
          tags: { variant: "uscion", geometry: "scion" },
          workload: s.cnn,
          optimizer: "uscion",
          // The Gluon CNN run: lr 0.5, radius 1 (body) / 100 (head), momentum alpha 0.5, constant lr; on full
          // batches (accumulated, paper scale) no momentum, as the authors' full-batch run.
          opt: {
            lr: 0.5,
            scale: 1,
            embed_scale: 1,
            vector_scale: 1,
            head_scale: 100,
            beta: s.accum.cnnSmoothness > 1 ? 0 : 0.5,
          },
          steps: s.cnnSmoothnessSteps,
          ...accumConfig(s.accum.cnnSmoothness),
          ...seedFields(seed),
          smoothnessEvery: s.cnnSmoothnessEvery,
          smoothnessNorms: "scion",
          evalEvery: s.evalEvery,
          evalBatches: s.evalBatches,
        },
      });
    }
    return jobs;
  },
};
