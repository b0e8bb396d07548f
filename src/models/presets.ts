/**
 * The named workload presets (DESIGN.md decision 6: a scale changes sizes, never code paths).
 *
 * | preset                 | model                                                                               | batch |
 * | ---------------------- | ----------------------------------------------------------------------------------- | ----- |
 * | `nanogpt-tiny`         | gpt2, 4 layers x 4 heads, d 128, ctx 64, chars (vocab 65): nanoGPT's CPU recipe     | 12    |
 * | `nanogpt-tiny-modded`  | the same sizes, modded flavour (the Gluon smoothness suite)                         | 12    |
 * | `nanogpt-mini`         | gpt2, 6 x 4, d 128, ctx 128, chars: the small scale's model (src/suite/scales.ts)   | 12    |
 * | `nanogpt-mini-modded`  | the same sizes, modded flavour                                                      | 12    |
 * | `nanogpt-small`        | gpt2, 6 x 6, d 384, ctx 256, chars (the performance benchmark's model)              | 32    |
 * | `nanogpt-small-modded` | the same sizes, modded flavour                                                      | 32    |
 * | `nanogpt-124m`         | GPT2-Small of Crawshaw et al.: 12 x 12, d 768, ctx 1024, vocab 50257, biases, tied  | 64    |
 * | `nanogpt-124m-modded`  | Gluon's model: 12 layers, 6 heads of 128, d 768, ctx 1024, vocab 50304              | 32    |
 * | `nanogpt-774m`         | GPT2-Large of Crawshaw et al.: 36 x 20, d 1280, ctx 1024, vocab 50257, biases, tied | 16    |
 * | `cnn-tiny`             | CifarNet, widths 8/16/16, 1x28x28 (Fashion-MNIST)                                   | 64    |
 * | `cnn-mini`             | CifarNet, widths 16/32/32, 1x28x28: the small scale's CNN                           | 64    |
 * | `cnn-small`            | CifarNet, widths 32/64/64, 1x28x28                                                  | 256   |
 * | `cnn-airbench`         | Gluon's CifarNet: widths 64/256/256, 3x32x32, summed loss, label smoothing 0.2      | 2000  |
 *
 * The paper-scale batches are the papers' per-device micro-batches (GPT-opt: 64 and 16 sequences; Gluon: 32);
 * both papers step on 2^19 = 524,288 tokens, i.e. gradient accumulation over several graphs.
 * The char presets default to vocab 65 (tiny Shakespeare); pass the tokenizer's size as `vocab`.
 */
import { cifarNet, type CnnOptions } from "./cnn.ts";
import { type GptOptions, nanoGpt } from "./nanogpt.ts";
import type { Workload } from "./types.ts";

const CHARS = { vocab: 65 };
const TINY = { layers: 4, heads: 4, width: 128, context: 64, batch: 12, ...CHARS };
const MINI = { layers: 6, heads: 4, width: 128, context: 128, batch: 12, ...CHARS };
const SMALL = { layers: 6, heads: 6, width: 384, context: 256, batch: 32, ...CHARS };
const GPT2_124M = { layers: 12, heads: 12, width: 768, context: 1024, vocab: 50257, batch: 64, bias: true };

const GPT_PRESETS: Record<string, GptOptions> = {
  "nanogpt-tiny": { flavour: "gpt2", ...TINY },
  "nanogpt-tiny-modded": { flavour: "modded", ...TINY },
  "nanogpt-mini": { flavour: "gpt2", ...MINI },
  "nanogpt-mini-modded": { flavour: "modded", ...MINI },
  "nanogpt-small": { flavour: "gpt2", ...SMALL },
  "nanogpt-small-modded": { flavour: "modded", ...SMALL },
  "nanogpt-124m": { flavour: "gpt2", ...GPT2_124M },
  "nanogpt-124m-modded": {
    flavour: "modded",
    layers: 12,
    heads: 6,
    width: 768,
    context: 1024,
    vocab: 50304,
    batch: 32,
  },
  "nanogpt-774m": { flavour: "gpt2", ...GPT2_124M, layers: 36, heads: 20, width: 1280, batch: 16 },
};

const FASHION_MNIST = { input: [1, 28, 28] as [number, number, number], classes: 10 };

const CNN_PRESETS: Record<string, CnnOptions> = {
  "cnn-tiny": { ...FASHION_MNIST, widths: [8, 16, 16], batch: 64 },
  "cnn-mini": { ...FASHION_MNIST, widths: [16, 32, 32], batch: 64 },
  "cnn-small": { ...FASHION_MNIST, widths: [32, 64, 64], batch: 256 },
  "cnn-airbench": {
    input: [3, 32, 32],
    classes: 10,
    widths: [64, 256, 256],
    batch: 2000,
    reduction: "sum",
    labelSmoothing: 0.2,
  },
};

/** The preset names, NanoGPT ones first. */
export function workloadNames(): string[] {
  return [...Object.keys(GPT_PRESETS), ...Object.keys(CNN_PRESETS)];
}

/**
 * Builds the preset `name` with `overrides` applied on top of its options (e.g. `{ vocab: 80, batch: 2 }`).
 * Throws listing the valid names for an unknown preset, and the valid keys for an unknown override.
 */
export function makeWorkload(name: string, overrides: Record<string, unknown> = {}): Workload {
  if (Object.hasOwn(GPT_PRESETS, name)) {
    return nanoGpt(name, { ...GPT_PRESETS[name], ...overrides } as GptOptions);
  }
  if (Object.hasOwn(CNN_PRESETS, name)) {
    return cifarNet(name, { ...CNN_PRESETS[name], ...overrides } as CnnOptions);
  }
  throw new Error(`unknown workload "${name}"; valid workloads: ${workloadNames().join(", ")}`);
}
