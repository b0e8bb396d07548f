/**
 * What each scale means for the suites (DESIGN.md decision 6: a scale changes sizes, steps and grids,
 * never code paths). Every job runs over 3 seeds by default (src/suite/seeds.ts). `tiny` is sized so that
 * the default `deno task reproduce` finishes within 30 minutes on an idle 2-core machine; `small` within
 * 2.5 hours on one; `paper` is the papers' own configurations, for GPUs. `reproduce` prints the estimate
 * of its job list first (src/suite/budget.ts holds the per-step costs used below).
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
 * So 200 steps: the best measured run of every optimizer ends below 2.46 (AdamW 2.44 or lower, MuonAdam
 * 2.21, Scion 2.16, MuonMax 2.37, MuonAdam-Momo 2.19, MuonMax-Momo 2.35); at step 150 AdamW was still above
 * it. For the CNN the plateau is the class prior, ln 10 = 2.30 (Fashion-MNIST); criterion: the best run ends at least 0.3 nats below it.
 * At the default LR after 40 steps: AdamW 1.82, MuonAdam 1.80, Scion 1.26, MuonMax 1.76, MuonAdam-Momo 1.80,
 * MuonMax-Momo 1.76 (at 100 steps: 1.65, 1.57, 0.69, 1.60, 1.57, 1.60), all at least 0.47 nats below it.
 * So the CNN keeps 40 steps.
 *
 * The tiny budget (idle 2-core machine, 3 seeds). A nanogpt-tiny step costs about 0.05 s idle, a cnn-tiny
 * step 0.025 s, building a job 0.8-1.5 s, and one smoothness pair of the modded model in Scion's norms
 * (exact singular values of 24 matrices, on the host) about 5 s; Euclidean and CNN pairs are nearly free.
 *
 * | suite            | jobs | steps   | estimate (idle machine)                                         |
 * | ---------------- | ---- | ------- | --------------------------------------------------------------- |
 * | gluon-smoothness | 12   | 120/90  | 3 x (2 x (12 pairs x 5 + 7.5) + 10 + 6) = 453 s                 |
 * | lr-sweep (GPT)   | 72   | 200     | 6 optimizers x 4 LRs x 3 seeds x (200 x 0.05 + 1.6) = 834 s     |
 * | lr-sweep (CNN)   | 72   | 40      | 72 x (40 x 0.025 + 0.85) = 133 s                                |
 * | LR extension     | <=72 | 200/40  | expected about one step per sweep: 18 x 11.6 + 18 x 1.85 = 242 s |
 * |                  |      |         | (cap 1 per side; worst case, both sides everywhere: 484 s)      |
 * | gluon-vs-tuned   | 3    | 120     | 3 x 7.6 = 23 s (the uScion runs are shared)                     |
 * | step-time        | 1    | 3 x 32  | 3 x (1.5 + 32 x 0.05) = 9 s (8 interleaved rounds of 4 steps)   |
 * | set-up, report   |      |         | 15 s                                                            |
 * | total            | 160  |         | 1455 s + extension: about 1700 s = 28 min (worst case 32 min)   |
 *
 * The small budget (idle 2-core machine, 3 seeds). The small-named models (nanogpt-small 6 x 6, d 384, ctx
 * 256, batch 32: 11.2 s a step, ~580 GFLOP; cnn-small 32/64/64, batch 256) would make a small reproduce take
 * days; they stay as the performance benchmark's models. The small scale trains models between tiny and
 * those: nanogpt-mini 6 layers x 4 heads, d 128, ctx 128, batch 12 (2x the tokens of a tiny step, 1.5x the
 * hidden matrices) and cnn-mini 16/32/32, batch 64. Measured by an interleaved timing against the tiny models
 * in one process (6 rounds of 3 steps, load average 15-22, so the ratios are noisy): nanogpt-mini /
 * nanogpt-tiny median 2.87 (1.71-4.66), cnn-mini / cnn-tiny median
 * 1.75 (1.15-2.37); at the tiny models' idle costs that is about 0.145 s and 0.044 s a step. A modded pair
 * costs about 1.5 x 5 = 7.5 s (36 matrices of the same width; estimated, not measured).
 *
 * | suite            | jobs | steps   | estimate (idle machine)                                           |
 * | ---------------- | ---- | ------- | ----------------------------------------------------------------- |
 * | gluon-smoothness | 12   | 400/200 | 3 x (2 x (20 pairs x 7.5 + 63) + 69 + 20) = 1545 s                 |
 * | lr-sweep (GPT)   | 72   | 300     | 72 x (300 x 0.145 + 2 + 16 x 0.05) = 3326 s                       |
 * | lr-sweep (CNN)   | 72   | 300     | 72 x (300 x 0.044 + 1.3) = 1044 s                                 |
 * | LR extension     | <=72 | 300     | expected one step per sweep: 18 x 46 + 18 x 14.5 = 1089 s         |
 * |                  |      |         | (cap 1 per side; worst case 2178 s)                               |
 * | gluon-vs-tuned   | 3    | 400     | 3 x 63 = 189 s                                                    |
 * | step-time        | 1    | 3 x 50  | about 40 s (10 rounds of 5 steps)                                 |
 * | set-up, report   |      |         | 30 s                                                              |
 * | total            | 160  |         | 6145 s + extension: about 7230 s = 2.0 h (worst case 2.3 h)       |
 *
 * The small horizons (300 sweep steps, twice the tokens per step of tiny) were not measured against the
 * plateau criterion, and neither scale has been timed end to end on an idle machine (the development machine
 * ran at load 12-22 while these were sized): the first full runs should replace the estimates.
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
    sweepSteps: 160,
    cnnSweepSteps: 100,
    smoothnessSteps: 200,
    cnnSmoothnessSteps: 100,
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
