/**
 * `step-time`: the per-step cost of MuonAdam and of MuonMax-Momo with the stale and with the exact nuclear
 * norm (Crawshaw et al.'s timing discussion, papers.md A.7): the same model, data, lr and steps, so the
 * median step times differ only by the optimizer's update graph. Feeds the crawshaw.timing.* claims.
 */
import { makeOptimizer } from "../../optim/mod.ts";
import type { Suite, SuiteJob } from "../types.ts";
import { accumConfig, SCALE_SETTINGS } from "../scales.ts";

/** The timed variants: a variant name (the name the claims use), its optimizer and overrides. */
export const TIMED_VARIANTS: readonly { variant: string; optimizer: string; opt: Record<string, string> }[] =
  [
    { variant: "muonadam", optimizer: "muon-adam", opt: {} },
    { variant: "muonmax-momo-stale", optimizer: "muonmax-momo", opt: { nuc: "stale" } },
    { variant: "muonmax-momo-exact", optimizer: "muonmax-momo", opt: { nuc: "exact" } },
  ];

/** The suite. */
export const stepTime: Suite = {
  name: "step-time",
  description:
    "Median wall time per training step of MuonAdam and MuonMax-Momo (stale and exact nuclear norm) " +
    "on the sweep's language model at each optimizer's default lr.",
  jobs(scale, seeds) {
    const s = SCALE_SETTINGS[scale];
    const jobs: SuiteJob[] = [];
    for (const t of TIMED_VARIANTS) {
      const momo: Record<string, number> = makeOptimizer(t.optimizer).hyper.fstar === null
        ? {}
        : { fstar: s.fstarText };
      for (let seed = 0; seed < seeds; seed++) {
        jobs.push({
          id: `step-time/${s.gpt}/${t.variant}/seed=${seed}`,
          config: {
            tags: { variant: t.variant },
            workload: s.gpt,
            optimizer: t.optimizer,
            opt: { ...t.opt, ...momo },
            steps: s.timingSteps,
            ...accumConfig(s.accum.gpt),
            seed,
            data: s.textData,
            tokenizer: s.tokenizer,
            evalEvery: s.timingSteps,
            evalBatches: 1,
            layersEvery: s.timingSteps,
          },
        });
      }
    }
    return jobs;
  },
};
