/**
 * `lr-sweep`: Crawshaw et al.'s learning-rate sweeps (papers.md C.3, Fig. 1 and Table 4): AdamW, MuonAdam,
 * Scion, MuonMax, MuonAdam-Momo and MuonMax-Momo over a grid of multiples of each optimizer's default lr,
 * on the GPT-2-style NanoGPT and on the CNN. The report plots final validation loss against lr, finds the
 * best lr and the basin width per optimizer, and judges the ordering and "wider basin" claims. The grid
 * extends by its factor at an open basin edge, up to the scale's cap (src/suite/sweep.ts).
 */
import { makeOptimizer } from "../../optim/mod.ts";
import { seedFields } from "../seeds.ts";
import { sweepJobId } from "../sweep.ts";
import type { Suite, SuiteJob } from "../types.ts";
import { accumConfig, SCALE_SETTINGS } from "../scales.ts";

/** The optimizers the sweep compares. */
export const SWEEP_OPTIMIZERS = ["adamw", "muon-adam", "scion", "muonmax", "muon-adam-momo", "muonmax-momo"];

/** The suite. */
export const lrSweep: Suite = {
  name: "lr-sweep",
  description:
    "Final validation loss against learning rate for AdamW, MuonAdam, Scion, MuonMax and the Momo " +
    "variants on NanoGPT and the CNN: best lr, basin width, diverged runs.",
  jobs(scale, seeds) {
    const s = SCALE_SETTINGS[scale];
    const jobs: SuiteJob[] = [];
    // The grid's mean ratio of neighbouring LRs: how far an extension steps beyond the grid's end.
    const f = s.lrFactors;
    const gridFactor = Number(((f[f.length - 1] / f[0]) ** (1 / (f.length - 1))).toPrecision(3));
    const workloads = [
      { workload: s.gpt, data: s.textData, tokenizer: s.tokenizer, fstar: s.fstarText, steps: s.sweepSteps, accum: s.accum.gpt },
      { workload: s.cnn, data: "default", tokenizer: s.tokenizer, fstar: 0, steps: s.cnnSweepSteps, accum: 1 },
    ];
    for (const w of workloads) {
      for (const optimizer of SWEEP_OPTIMIZERS) {
        const base = Number(makeOptimizer(optimizer).hyper.lr);
        const momo: Record<string, number> = optimizer.endsWith("-momo") ? { fstar: w.fstar } : {};
        const group = `lr-sweep/${w.workload}/${optimizer}`;
        s.lrFactors.forEach((factor, i) => {
          const lr = Number((base * factor).toPrecision(6));
          for (const seed of seeds) {
            jobs.push({
              id: sweepJobId(group, lr, seed),
              sweep: { group, lr, factor: gridFactor, cap: s.lrExtensionCap, extension: 0 },
              config: {
                tags: { lr_index: i },
                workload: w.workload,
                optimizer,
                opt: { lr, ...momo },
                steps: w.steps,
                ...accumConfig(w.accum),
                ...seedFields(seed),
                data: w.data,
                tokenizer: w.tokenizer,
                // Ten validation points a run: the half-horizon verdicts and steps to target read them.
                evalEvery: Math.max(1, Math.round(w.steps / 10)),
                evalBatches: s.evalBatches,
                layersEvery: w.steps,
              },
            });
          }
        });
      }
    }
    return jobs;
  },
};
