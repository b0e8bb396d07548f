/**
 * What each scale means for the suites (DESIGN.md decision 6: a scale changes sizes, steps and grids,
 * never code paths). `tiny` is sized so that the default `deno task reproduce` finishes within 20 minutes
 * on 2 CPU cores; `small` is about an hour on a CPU; `paper` is the papers' own configurations, for GPUs.
 */
import type { Scale } from "../../src/report/claims.ts";

/** Per-scale settings shared by the suites. */
export interface ScaleSettings {
  /** The language-model workload of the LR sweep (GPT-2 flavour, as in Crawshaw et al.). */
  gpt: string;
  /** The modded-nanogpt workload of the Gluon smoothness runs. */
  gptModded: string;
  cnn: string;
  /** Training steps of one LR-sweep run, and of one smoothness run. */
  sweepSteps: number;
  smoothnessSteps: number;
  cnnSmoothnessSteps: number;
  /** Smoothness pairs every this many steps (the Gluon NanoGPT run: 50; CNN: 2). */
  smoothnessEvery: number;
  cnnSmoothnessEvery: number;
  /** Multipliers of each optimizer's default learning rate in the LR sweep. */
  lrFactors: number[];
  /** Momo's lower bound F* on the text loss: below the best loss the tiny model reaches in its budget. */
  fstarText: number;
  evalEvery: number;
  evalBatches: number;
  /** Text data: "default" (Moby Dick, chars) below paper scale. */
  textData: string;
  tokenizer: "char" | "gpt2";
}

const THIRDS = [1 / 9, 1 / 3, 1, 3, 9];

/** The settings of each scale. */
export const SCALE_SETTINGS: Record<Scale, ScaleSettings> = {
  tiny: {
    gpt: "nanogpt-tiny",
    gptModded: "nanogpt-tiny-modded",
    cnn: "cnn-tiny",
    sweepSteps: 60,
    smoothnessSteps: 200,
    cnnSmoothnessSteps: 100,
    smoothnessEvery: 10,
    cnnSmoothnessEvery: 5,
    lrFactors: THIRDS,
    fstarText: 1.5,
    evalEvery: 30,
    evalBatches: 4,
    textData: "default",
    tokenizer: "char",
  },
  small: {
    gpt: "nanogpt-small",
    gptModded: "nanogpt-small-modded",
    cnn: "cnn-small",
    sweepSteps: 600,
    smoothnessSteps: 1000,
    cnnSmoothnessSteps: 400,
    smoothnessEvery: 25,
    cnnSmoothnessEvery: 4,
    lrFactors: [1 / 27, 1 / 9, 1 / 3, 1, 3, 9, 27],
    fstarText: 1.0,
    evalEvery: 100,
    evalBatches: 16,
    textData: "default",
    tokenizer: "char",
  },
  paper: {
    gpt: "nanogpt-124m",
    gptModded: "nanogpt-124m-modded",
    cnn: "cnn-airbench",
    sweepSteps: 1900,
    smoothnessSteps: 5000,
    cnnSmoothnessSteps: 200,
    smoothnessEvery: 50,
    cnnSmoothnessEvery: 2,
    lrFactors: [1 / 10, 0.3, 1, 3, 10, 30],
    fstarText: 3.2,
    evalEvery: 125,
    evalBatches: 64,
    textData: "default",
    tokenizer: "gpt2",
  },
};

/** The decimal form used in job ids (3 significant digits). */
export function fmtLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}
