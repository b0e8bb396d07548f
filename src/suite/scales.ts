/**
 * What each scale means for the suites (DESIGN.md decision 6: a scale changes sizes, steps and grids,
 * never code paths). Every job runs over 3 seeds by default, the Gluon suites' over `gluonSeeds`
 * (src/suite/seeds.ts). `tiny` is sized so that
 * the default `deno task reproduce` finishes within 30 minutes on an idle 2-core machine; `small` within
 * 2.5 hours on one (measured: docs/results-small.md); `paper` is the papers' own configurations, for GPUs.
 * `reproduce` prints the estimate of its job list first (src/suite/budget.ts holds the per-step costs).
 *
 * Horizons. A sweep must be long enough that the best run of every optimizer has left the initial plateau,
 * or its ranking says nothing. For the character-level language model the plateau is the corpus's character
 * statistics: the loss starts at ln 83 = 4.42 (Moby Dick, 83 characters), the unigram entropy is 3.10 nats
 * and the bigram conditional entropy H(x_t | x_{t-1}) is 2.46 nats. Criterion: the best run of every
 * optimizer ends below 2.46, i.e. it uses more than the previous character. At 40 steps (the old tiny
 * horizon) all six stopped at 2.66-2.83. Measured on nanogpt-tiny, seed 0, multiples of each default LR
 * (validation loss at steps 50/100/150/200 of 200-step runs, 2026-12-01, load average 12-20):
 *
 * | optimizer      | lr    | 50    | 100   | 150   | 200   |
 * | -------------- | ----- | ----- | ----- | ----- | ----- |
 * | adamw          | x3    | 2.991 | 2.813 | 2.682 | 2.635 |
 * | adamw          | x1    | 2.577 | 2.510 | 2.473 | 2.437 |  (a 400-step run; 2.299 at step 400)
 * | muon-adam      | x3    | 2.563 | 2.412 | 2.286 | 2.210 |
 * | scion          | x3    | 3.055 | 2.723 | 2.621 | 2.460 |
 * | scion          | x1    | 2.703 | 2.516 | 2.339 | 2.159 |
 * | muonmax        | x3    | 2.662 | 2.573 | 2.522 | 2.502 |
 * | muonmax        | x1    | 2.603 | 2.485 | 2.415 | 2.371 |
 * | muonmax        | x9    | 2.844 | 2.732 | 2.686 | 2.662 |
 * | muon-adam-momo | x3    | 2.572 | 2.407 | 2.273 | 2.189 |
 * | muonmax-momo   | x3    | 2.631 | 2.483 | 2.420 | 2.354 |
 *
 * Tiny sweeps 160 steps. The claims compare MuonAdam, MuonAdam-Momo, MuonMax and MuonMax-Momo, and at step
 * 150 of the 200-step runs above their best runs were already below 2.46 (2.29, 2.27, 2.42, 2.42; a 160-step
 * run decays its LR to the end, so it ends lower still); AdamW (a baseline no claim uses) was at 2.47. The
 * report enforces the criterion: a sweep claim whose optimizers' median best run ends above 2.46 is
 * "inconclusive at this scale" (TEXT_PLATEAU below, src/report/measure.ts). The numbers of the measured
 * runs: docs/results-small.md and the closing note of issue 14. For the CNN the plateau is the class prior,
 * ln 10 = 2.30 (Fashion-MNIST); criterion: the best run ends at least 0.3 nats below it. At the default LR
 * after 40 steps: AdamW 1.82, MuonAdam 1.80, Scion 1.26, MuonMax 1.76, MuonAdam-Momo 1.80, MuonMax-Momo 1.76
 * (at 100 steps: 1.65, 1.57, 0.69, 1.60, 1.57, 1.60), all at least 0.47 nats below it. So the CNN keeps 40.
 *
 * Budgets (idle 2-core machine, 3 seeds (5 for small's Gluon suites), the default 2 workers of 1 thread each; per-step and per-job costs
 * of one worker in src/suite/budget.ts, read off the steps tables of full runs). The arithmetic is the one
 * `reproduce` prints before it starts; the measured end-to-end wall times are what the README states.
 *
 * | scale | suite            | jobs | steps   | worker-seconds (estimate)                             |
 * | ----- | ---------------- | ---- | ------- | ----------------------------------------------------- |
 * | tiny  | lr-sweep (GPT)   | 72   | 160     | 72 x (160 x 0.15 + 1.2 + 10 x 4 x 0.04) = 1930        |
 * | tiny  | lr-sweep (CNN)   | 72   | 40      | 72 x (40 x 0.065 + 1 + 10 x 4 x 0.015) = 300          |
 * | tiny  | gluon-smoothness | 12   | 120/90  | 3 x (2 x 35 + 25 + 10) = 315 (pairs are cheap now)    |
 * | tiny  | gluon-vs-tuned   | 3    | 120     | 3 x 21 = 63 (the uScion runs are shared)              |
 * | tiny  | LR extension     | <=72 | 160/40  | about one step per sweep: 18 x 28 + 18 x 4.4 = 580    |
 * | tiny  | step-time        | 1    | 3 x 32  | alone: about 20 s                                     |
 * | small | lr-sweep (GPT)   | 72   | 240     | 72 x (240 x 0.4 + 1.5 + 10 x 8 x 0.06) = 7370         |
 * | small | lr-sweep (CNN)   | 72   | 100     | 72 x (100 x 0.11 + 1.2 + 10 x 8 x 0.03) = 1050        |
 * | small | gluon-smoothness | 20   | 200/100 | 5 x (3 x (200 x 0.43 + 3 + 4 x 8 x 0.07) + 15) = 1450 |
 *
 * Measured (per worker, median step of the steps tables): nanogpt-tiny 0.145 s (AdamW 0.103), cnn-tiny
 * 0.063 s, nanogpt-mini 0.41 s, cnn-mini 0.108 s; a tiny LM sweep job 25 s, a small one (240 steps) 100 s.
 * The tiny reproduce took 22:46 (estimate 21:56 plus 27 extension jobs); the small one about 103 minutes
 * from scratch (1:27:15 and 6:39 measured, plus 9 minutes of reused CNN runs; estimate 1:27:55 plus up to
 * 35:04 of extensions; docs/results-small.md).
 *
 * The small models. nanogpt-small (6 x 6, d 384, ctx 256, batch 32: 11.2 s a step, ~580 GFLOP) and
 * cnn-small would make a small reproduce take days; they stay as the performance benchmark's models. The
 * small scale trains nanogpt-mini (6 layers x 4 heads, d 128, ctx 128, batch 12: 2x the tokens of a tiny
 * step) and cnn-mini (16/32/32, batch 64), 240 LM sweep steps and 100 CNN steps, 200/100 smoothness steps.
 * At 160 LM sweep steps MuonMax's best run (median of 3 seeds, LR 1e-3) ended at 2.495 and the AdamW
 * baseline's at 2.505, above the plateau, so the claims that rank MuonMax were inconclusive at small scale.
 * A 240-step MuonMax run at LR 1e-3 (seed 0; 3e-3 in brackets) measured 2.716 (2.758) at step 40, 2.554
 * (2.635) at 80, 2.503 (2.582) at 120, 2.470 (2.556) at 160, 2.449 (2.533) at 200 and 2.430 (2.527) at 240:
 * below 2.46 at the end, so the small LM sweep runs 240 steps (about 20 more minutes than 160).
 * At tiny scale every optimizer's best 160-step run ends below 2.46 (AdamW 2.458, MuonMax 2.427).
 */
/**
 * The loss a language model must get below to have left the initial plateau on the default corpus (the
 * horizon criterion above): the bigram conditional entropy H(x_t | x_{t-1}) of Moby Dick's training
 * characters (tests/scales_test.ts recomputes it from the corpus). Sweep claims whose optimizers' best runs
 * end above it are inconclusive at that scale (src/report/measure.ts).
 */
export const TEXT_PLATEAU = {
  corpus: "moby-dick",
  tokenizer: "char",
  loss: 2.46,
  what: "the bigram entropy of Moby Dick's characters",
} as const;

/** The suite scales of DESIGN.md decision 6. */
export const SCALES = ["tiny", "small", "paper"] as const;
/** A suite scale. */
export type Scale = typeof SCALES[number];

/** Per-scale settings shared by the suites. */
export interface ScaleSettings {
  /** The language-model workload of the LR sweep (GPT-2 flavour, as in Crawshaw et al.). */
  gpt: string;
  /** The modded-nanogpt workload of the Gluon smoothness runs. */
  gptModded: string;
  cnn: string;
  /** Training steps of one LR-sweep run of the language model, and of the CNN. */
  sweepSteps: number;
  cnnSweepSteps: number;
  /** Training steps of one smoothness run (language model, CNN). */
  smoothnessSteps: number;
  cnnSmoothnessSteps: number;
  /**
   * Seeds per job of the Gluon suites (gluon-smoothness, gluon-vs-tuned) when `--seeds` is not given. Their
   * claims are ratios and maxima of fitted constants, which vary more between seeds than final losses do.
   */
  gluonSeeds: number;
  /** Smoothness pairs every this many steps (the Gluon NanoGPT run: 50; CNN: 2). */
  smoothnessEvery: number;
  cnnSmoothnessEvery: number;
  /** Multipliers of each optimizer's default learning rate in the LR sweep (a geometric grid). */
  lrFactors: number[];
  /** The most grid steps an LR sweep adds beyond each end of `lrFactors` at an open basin edge. */
  lrExtensionCap: number;
  /** Momo's lower bound F* on the text loss: below the best loss the tiny model reaches in its budget. */
  fstarText: number;
  /** Rounds of the interleaved step-time benchmark (every variant once a round; at least 5) and steps per sample. */
  timingRounds: number;
  timingStepsPerSample: number;
  evalEvery: number;
  evalBatches: number;
  /**
   * Micro-batches per optimizer step (gradient accumulation) of the language model (`gpt`), the modded model
   * (`gptModded`) and the smoothness CNN run (`cnnSmoothness`; its accumulated batch is a full pass at paper
   * scale, as Gluon's full-batch run, which then has no momentum).
   */
  accum: { gpt: number; gptModded: number; cnnSmoothness: number };
  /** Text data: "default" (Moby Dick, chars) below paper scale; FineWeb shards at paper scale. */
  textData: string;
  tokenizer: "char" | "gpt2";
}

/**
 * The tiny LR grid, in factors of 3 around each optimizer's default: at 200 steps the best measured LRs are
 * the defaults (AdamW, Scion, MuonMax) or 3x (MuonAdam, the Momo variants); an open edge extends it.
 */
const TINY_LR_FACTORS = [1 / 3, 1, 3, 9];

/** One micro-batch a step. */
const NO_ACCUMULATION = { gpt: 1, gptModded: 1, cnnSmoothness: 1 };

/** The paper scale's default text data: FineWeb shards where modded-nanogpt's download script puts them. */
export const PAPER_TEXT_DATA = "fineweb:data/fineweb10B";

/** The settings of each scale. */
export const SCALE_SETTINGS: Record<Scale, ScaleSettings> = {
  tiny: {
    gpt: "nanogpt-tiny",
    gptModded: "nanogpt-tiny-modded",
    cnn: "cnn-tiny",
    sweepSteps: 160,
    cnnSweepSteps: 40,
    smoothnessSteps: 120,
    cnnSmoothnessSteps: 90,
    gluonSeeds: 3,
    smoothnessEvery: 10,
    cnnSmoothnessEvery: 3,
    lrFactors: TINY_LR_FACTORS,
    lrExtensionCap: 1,
    fstarText: 1.5,
    timingRounds: 8,
    timingStepsPerSample: 4,
    evalEvery: 30,
    evalBatches: 4,
    accum: NO_ACCUMULATION,
    textData: "default",
    tokenizer: "char",
  },
  small: {
    gpt: "nanogpt-mini",
    gptModded: "nanogpt-mini-modded",
    cnn: "cnn-mini",
    sweepSteps: 240,
    cnnSweepSteps: 100,
    smoothnessSteps: 200,
    cnnSmoothnessSteps: 100,
    gluonSeeds: 5,
    smoothnessEvery: 20,
    cnnSmoothnessEvery: 4,
    lrFactors: TINY_LR_FACTORS,
    lrExtensionCap: 1,
    fstarText: 1.0,
    timingRounds: 10,
    timingStepsPerSample: 5,
    evalEvery: 50,
    evalBatches: 8,
    accum: NO_ACCUMULATION,
    textData: "default",
    tokenizer: "char",
  },
  paper: {
    gpt: "nanogpt-124m",
    gptModded: "nanogpt-124m-modded",
    cnn: "cnn-airbench",
    sweepSteps: 1900,
    cnnSweepSteps: 1900,
    smoothnessSteps: 5000,
    // Gluon's full-batch CNN run: 80 epochs = 80 steps (papers.md, Gluon CNN).
    cnnSmoothnessSteps: 80,
    gluonSeeds: 3,
    smoothnessEvery: 50,
    cnnSmoothnessEvery: 2,
    lrFactors: [1 / 10, 0.3, 1, 3, 10, 30],
    lrExtensionCap: 2,
    fstarText: 3.2,
    timingRounds: 10,
    timingStepsPerSample: 5,
    evalEvery: 125,
    evalBatches: 64,
    // 2^19 = 524,288 tokens a step: GPT2-Small 64 x 1024 x 8 (Crawshaw et al.), Gluon's modded model
    // 32 x 1024 x 16; the CNN's 25 batches of 2000 are CIFAR-10's 50,000 training images (full batch).
    accum: { gpt: 8, gptModded: 16, cnnSmoothness: 25 },
    // modded-nanogpt's shard folder (data/cached_fineweb10B.py); reproduce --data fineweb:DIR points elsewhere.
    textData: PAPER_TEXT_DATA,
    tokenizer: "gpt2",
  },
};

/** The `accum` field of a job config: left out for one micro-batch a step, so such configs keep their hashes. */
export function accumConfig(accum: number): { accum?: number } {
  return accum > 1 ? { accum } : {};
}
