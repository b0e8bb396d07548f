/**
 * What each scale means for the suites (DESIGN.md decision 6: a scale changes sizes, steps and grids,
 * never code paths). `tiny` is sized so that the default `deno task reproduce` finishes within 20 minutes
 * on 2 CPU cores; `small` is about an hour on a CPU; `paper` is the papers' own configurations, for GPUs.
 *
 * The tiny budget. On the 2-core development machine a nanogpt-tiny step costs about 0.05 s idle (0.3-0.5 s at
 * load average 5-8), a cnn-tiny step 0.025 s, building a job (data, graph, session) 0.6-2.5 s, and one
 * smoothness pair of the modded model in Scion's norms (exact singular values of 24 matrices, on the host)
 * about 5 s idle; Euclidean and CNN pairs are nearly free. Estimate for the 68 jobs on an idle machine:
 *
 * | suite            | jobs | steps   | estimate (idle machine)                                  |
 * | ---------------- | ---- | ------- | -------------------------------------------------------- |
 * | gluon-smoothness | 4    | 120/90  | 2 x (12 pairs x 5 + 8) + 8 + 4 = 148 s                   |
 * | lr-sweep (GPT)   | 30   | 40      | 30 x (40 x 0.05 + 0.8) = 84 s                            |
 * | lr-sweep (CNN)   | 30   | 40      | 30 x (40 x 0.025 + 0.6) = 48 s                           |
 * | gluon-vs-tuned   | 1    | 120     | 8 s (the uScion run is shared)                           |
 * | step-time        | 3    | 16      | 3 s                                                      |
 * | set-up, report   |      |         | 15 s                                                     |
 * | total            | 68   |         | about 306 s = 5 min; 2-3x that on a busy machine         |
 *
 * Measured: with 60 smoothness steps and 20 sweep steps the whole run took 2:57 on an idle machine, 8:28 as
 * the load fell from 4 to 2, and (with heavier settings) 19:10 at load 5-8.
 */
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
  /** Multipliers of each optimizer's default learning rate in the LR sweep. */
  lrFactors: number[];
  /** Momo's lower bound F* on the text loss: below the best loss the tiny model reaches in its budget. */
  fstarText: number;
  /** Training steps of one step-time run. */
  timingSteps: number;
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
 * The tiny LR grid, in factors of 3 around each optimizer's default, shifted up: in 40 steps an LR below a
 * third of the default is far outside every basin, while the high end is where the Momo and MuonMax claims
 * (robustness to large LRs) are decided.
 */
const TINY_LR_FACTORS = [1 / 3, 1, 3, 9, 27];

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
    sweepSteps: 40,
    cnnSweepSteps: 40,
    smoothnessSteps: 120,
    cnnSmoothnessSteps: 90,
    smoothnessEvery: 10,
    cnnSmoothnessEvery: 3,
    lrFactors: TINY_LR_FACTORS,
    fstarText: 1.5,
    timingSteps: 16,
    evalEvery: 30,
    evalBatches: 4,
    accum: NO_ACCUMULATION,
    textData: "default",
    tokenizer: "char",
  },
  small: {
    gpt: "nanogpt-small",
    gptModded: "nanogpt-small-modded",
    cnn: "cnn-small",
    sweepSteps: 600,
    cnnSweepSteps: 600,
    smoothnessSteps: 1000,
    cnnSmoothnessSteps: 400,
    smoothnessEvery: 25,
    cnnSmoothnessEvery: 4,
    lrFactors: [1 / 27, 1 / 9, 1 / 3, 1, 3, 9, 27],
    fstarText: 1.0,
    timingSteps: 100,
    evalEvery: 100,
    evalBatches: 16,
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
    fstarText: 3.2,
    timingSteps: 100,
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

/** The decimal form used in job ids (3 significant digits). */
export function fmtLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}
