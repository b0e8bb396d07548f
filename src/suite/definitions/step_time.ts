/**
 * `step-time`: the per-step cost of MuonAdam and of MuonMax-Momo with the stale and with the exact nuclear
 * norm (Crawshaw et al.'s timing discussion, papers.md A.7), measured by one interleaved timing job
 * (src/bench/interleaved.ts: warm-up, then rounds of every variant in alternating order) on the sweep's
 * language model, not by training runs: a machine's load drifts, and only samples taken side by side are
 * paired. Feeds the crawshaw.timing.* claims, judged on the per-round ratios. A sample times one
 * micro-batch step (no gradient accumulation, also at paper scale): the claims compare optimizer cost.
 */
import { makeOptimizer } from "../../optim/mod.ts";
import type { Suite, TimedVariant, TimingTags } from "../types.ts";
import { SCALE_SETTINGS } from "../scales.ts";

/** The timed variants: a variant name (the name the claims use), its optimizer and overrides. */
export const TIMED_VARIANTS: readonly { variant: string; optimizer: string; opt: Record<string, string> }[] =
  [
    { variant: "muonadam", optimizer: "muon-adam", opt: {} },
    { variant: "muonmax-momo-stale", optimizer: "muonmax-momo", opt: { nuc: "stale" } },
    { variant: "muonmax-momo-exact", optimizer: "muonmax-momo", opt: { nuc: "exact" } },
  ];

/** Untimed steps of each variant before the first round. */
const WARMUP_STEPS = 3;

/** The suite. */
export const stepTime: Suite = {
  name: "step-time",
  description:
    "Interleaved timing (warm-up, then rounds A B C / C B A ...) of the training step of MuonAdam " +
    "and MuonMax-Momo (stale and exact nuclear norm) on the sweep's language model; paired per-round samples.",
  jobs(scale) {
    const s = SCALE_SETTINGS[scale];
    const variants: TimedVariant[] = TIMED_VARIANTS.map((t) => ({
      ...t,
      opt: { ...t.opt, ...(makeOptimizer(t.optimizer).hyper.fstar === null ? {} : { fstar: s.fstarText }) },
    }));
    const tags: TimingTags = {
      rounds: s.timingRounds,
      steps_per_sample: s.timingStepsPerSample,
      warmup_steps: WARMUP_STEPS,
      variants: variants.map((v) => v.variant).join(","),
    };
    return [{
      id: `step-time/${s.gpt}/interleaved`,
      timing: variants,
      config: {
        tags: { variant: "interleaved", ...tags },
        workload: s.gpt,
        optimizer: variants[0].optimizer,
        steps: s.timingRounds * s.timingStepsPerSample,
        data: s.textData,
        tokenizer: s.tokenizer,
      },
    }];
  },
};
