/**
 * The airbench CifarNet that Gluon's CNN smoothness runs train (`cnn_on_cifar10/*.py`), for any C x H x W
 * input with H, W >= 9 (CIFAR-10 3x32x32, Fashion-MNIST 1x28x28):
 *
 *   whiten: conv 2x2 (no padding) with a trainable bias -> GELU
 *   layers.{1,2,3}: conv1 3x3 (same padding, no bias) -> MaxPool 2 -> BatchNorm -> GELU
 *                   -> conv2 3x3 -> BatchNorm -> GELU
 *   global max over the remaining map -> head (Linear, no bias) -> logits * logitScale
 *
 * Differences from the reference, all deliberate:
 * - The whitening kernel (2 C k^2 = 8C filters) is the patch-PCA whitening of 5000 training images in
 *   airbench; here it is [Q; -Q] with Q a random orthogonal matrix fixed by `whitenSeed` (same layout, unit
 *   scale), frozen by default like the reference, or a trainable `whiten.weight` (role conv) on request.
 * - GELU is the tanh approximation (the graph has no erf); it differs from `nn.GELU()` by < 1e-3.
 * - airbench ends with MaxPool(3); 28x28 and 32x32 inputs both leave a 3x3 map there, where a global max is
 *   the same thing, and the global max also works for other sizes.
 * BatchNorm uses batch statistics (training mode) with eps 1e-12 and a frozen unit gain, so only its bias is
 * a parameter. `logitScale` defaults to 1/widths[2] (the reference divides the head output by its input
 * width, 1/256 at the paper's widths). The loss is softmax cross-entropy with optional label smoothing
 * (PyTorch's definition) and "mean" or "sum" reduction (the Gluon runs: sum, smoothing 0.2).
 *
 * Init, as the reference ends up: its `optimizer.init()` (Scion's norm-matched init) runs before
 * `model.reset()`, which re-initialises every parameter with PyTorch defaults, so the effective init is:
 * whiten.bias Uniform(+-1/sqrt(C k^2)); conv kernels Uniform(+-1/sqrt(C_in 9)) with dirac identity on the
 * first C_in filters; BatchNorm biases 0; head Uniform(+-1/sqrt(width)) rescaled to unit sample std.
 *
 * Names: `whiten.bias` (and `whiten.weight` when trainable), `layers.{i}.conv1`, `layers.{i}.norm1.bias`,
 * `layers.{i}.conv2`, `layers.{i}.norm2.bias`, `head.weight`. Batch: `x` float32 [B, C, H, W], `y` int32
 * [B]. Metric `correct`: the number of samples whose target is the argmax of the logits (the first class at
 * the maximum, as PyTorch's argmax: tied logits do not all count).
 */
import {
  add,
  batchNorm,
  cast,
  conv2d,
  equal,
  firstOnes,
  gelu,
  type Graph,
  linear,
  logSoftmax,
  maxPool2d,
  mul,
  neg,
  reduceMax,
  reduceSum,
  reshape,
  softmaxCrossEntropy,
  type Tensor,
} from "../graph/mod.ts";
import { Rng } from "../trace/seeds.ts";
import {
  constantInit,
  diracConvInit,
  type Initializer,
  randomOrthogonal,
  torchDefaultInit,
  unitStdInit,
} from "./init.ts";
import type { ParamSpec, Role } from "../contracts/params.ts";
import type { BatchSpec, LossGraph, Workload } from "./types.ts";
import {
  intAtLeast,
  numberIn,
  oneOf,
  positiveNumber,
  rejectUnknownKeys,
  requireTensors,
} from "./validate.ts";

/** Options of {@link cifarNet}. */
export interface CnnOptions {
  /** Image shape [channels, height, width]. */
  input: [number, number, number];
  classes: number;
  /** Output channels of the three conv groups. */
  widths: [number, number, number];
  /** Images per batch; fixed per graph. */
  batch: number;
  /** Loss reduction over the batch (default "mean"; Gluon's runs use "sum"). */
  reduction?: "mean" | "sum";
  /** Label smoothing in [0, 1) (default 0; airbench uses 0.2). */
  labelSmoothing?: number;
  /** Multiplier of the head's output (default 1 / widths[2]). */
  logitScale?: number;
  /** Whether the whitening kernel is a frozen constant (default, as in airbench) or a trainable parameter. */
  whiten?: "frozen" | "trainable";
  /** Seed of the fixed random orthogonal whitening kernel (default 0). */
  whitenSeed?: number;
}

/** A fully resolved CNN configuration (what the workload records). */
export type CnnConfig = Required<CnnOptions>;

const OPTION_KEYS: readonly (keyof CnnOptions)[] = [
  "input",
  "classes",
  "widths",
  "batch",
  "reduction",
  "labelSmoothing",
  "logitScale",
  "whiten",
  "whitenSeed",
];

const WHITEN_KERNEL = 2;
const BATCHNORM_EPS = 1e-12;

/** Checks options and fills defaults; throws a message naming the workload and the bad option. */
export function resolveCnnConfig(owner: string, options: CnnOptions): CnnConfig {
  rejectUnknownKeys(owner, options, OPTION_KEYS);
  const triple = (key: "input" | "widths") => {
    const v = options[key];
    if (!Array.isArray(v) || v.length !== 3) {
      throw new Error(`${owner}: ${key} must be an array of 3 positive integers, got ${JSON.stringify(v)}`);
    }
    return v.map((d, i) => intAtLeast(owner, `${key}[${i}]`, d)) as [number, number, number];
  };
  const input = triple("input");
  const widths = triple("widths");
  let side = Math.min(input[1], input[2]) - (WHITEN_KERNEL - 1);
  for (let i = 0; i < 3; i++) side = Math.floor(side / 2);
  if (side < 1) {
    throw new Error(
      `${owner}: input ${input.join("x")} is too small for three 2x pools; height and width must be >= 9`,
    );
  }
  return {
    input,
    classes: intAtLeast(owner, "classes", options.classes),
    widths,
    batch: intAtLeast(owner, "batch", options.batch),
    reduction: oneOf(owner, "reduction", options.reduction ?? "mean", ["mean", "sum"] as const),
    labelSmoothing: numberIn(owner, "labelSmoothing", options.labelSmoothing ?? 0, 0, 0.999),
    logitScale: positiveNumber(owner, "logitScale", options.logitScale ?? 1 / widths[2]),
    whiten: oneOf(owner, "whiten", options.whiten ?? "frozen", ["frozen", "trainable"] as const),
    whitenSeed: intAtLeast(owner, "whitenSeed", options.whitenSeed ?? 0, 0),
  };
}

/** Number of whitening filters for `channels` input channels: a +/- pair per patch dimension. */
function whitenWidth(channels: number): number {
  return 2 * channels * WHITEN_KERNEL ** 2;
}

/** The whitening kernel [8C, C, 2, 2]: the rows of a random orthogonal matrix Q, then those of -Q. */
export function whiteningKernel(channels: number, rng: Rng): Float32Array {
  const p = channels * WHITEN_KERNEL ** 2;
  const q = randomOrthogonal(p, rng);
  const out = new Float32Array(2 * p * p);
  for (let i = 0; i < p * p; i++) {
    out[i] = q[i];
    out[p * p + i] = -q[i];
  }
  return out;
}

/** The parameter specs of a CNN configuration, in PyTorch's `named_parameters` order. */
export function cnnParams(c: CnnConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const param = (name: string, shape: number[], role: Role, init: Initializer) =>
    specs.push({ name, shape, role, init });
  const channels = c.input[0];
  const w0 = whitenWidth(channels);
  const patch = channels * WHITEN_KERNEL ** 2;
  if (c.whiten === "trainable") {
    param(
      "whiten.weight",
      [w0, channels, WHITEN_KERNEL, WHITEN_KERNEL],
      "conv",
      (rng) => whiteningKernel(channels, rng),
    );
  }
  param("whiten.bias", [w0], "bias", torchDefaultInit(w0, patch));
  let cIn = w0;
  for (const [i, cOut] of c.widths.entries()) {
    const group = `layers.${i + 1}`;
    param(`${group}.conv1`, [cOut, cIn, 3, 3], "conv", diracConvInit([cOut, cIn, 3, 3]));
    param(`${group}.norm1.bias`, [cOut], "bias", constantInit(cOut, 0));
    param(`${group}.conv2`, [cOut, cOut, 3, 3], "conv", diracConvInit([cOut, cOut, 3, 3]));
    param(`${group}.norm2.bias`, [cOut], "bias", constantInit(cOut, 0));
    cIn = cOut;
  }
  param("head.weight", [c.classes, cIn], "head", unitStdInit(c.classes * cIn, cIn));
  return specs;
}

/** Builds an airbench CifarNet workload (see the module doc). */
export function cifarNet(name: string, options: CnnOptions): Workload {
  const config = resolveCnnConfig(name, options);
  const params = cnnParams(config);
  const batch: BatchSpec[] = [
    { name: "x", shape: [config.batch, ...config.input], dtype: "float32" },
    { name: "y", shape: [config.batch], dtype: "int32" },
  ];
  return {
    name,
    kind: "image",
    config: { ...config },
    params,
    batch,
    buildLoss(g, p, b) {
      requireTensors(name, "parameter", params, p);
      requireTensors(name, "batch input", batch, b);
      const logits = cnnLogits(g, config, p, b.x);
      return classificationLoss(logits, b.y, config);
    },
  };
}

/** The forward pass: logits [B, classes] of images [B, C, H, W]. */
function cnnLogits(g: Graph, c: CnnConfig, p: Record<string, Tensor>, images: Tensor): Tensor {
  const perChannel = (t: Tensor) => reshape(t, [1, t.shape[0], 1, 1]);
  const channels = c.input[0];
  const kernelShape = [whitenWidth(channels), channels, WHITEN_KERNEL, WHITEN_KERNEL];
  const whiten = p["whiten.weight"] ??
    g.constant(whiteningKernel(channels, new Rng(c.whitenSeed)), kernelShape);
  let h = gelu(add(conv2d(images, whiten), perChannel(p["whiten.bias"])));
  for (let i = 1; i <= c.widths.length; i++) {
    const group = `layers.${i}`;
    h = maxPool2d(conv2d(h, p[`${group}.conv1`], { padding: 1 }), 2);
    h = gelu(batchNorm(h, undefined, p[`${group}.norm1.bias`], BATCHNORM_EPS));
    h = conv2d(h, p[`${group}.conv2`], { padding: 1 });
    h = gelu(batchNorm(h, undefined, p[`${group}.norm2.bias`], BATCHNORM_EPS));
  }
  return mul(linear(reduceMax(h, [2, 3]), p["head.weight"]), c.logitScale);
}

/**
 * Cross-entropy with PyTorch's label smoothing eps: (1 - eps) CE(target) + eps mean_k(-log p_k) per sample,
 * summed or averaged over the batch; plus the `correct` count.
 */
function classificationLoss(logits: Tensor, targets: Tensor, c: CnnConfig): LossGraph {
  const [b, classes] = logits.shape;
  const g = logits.graph;
  const ce = softmaxCrossEntropy(logits, targets, c.reduction);
  let loss = ce;
  if (c.labelSmoothing > 0) {
    const divisor = classes * (c.reduction === "sum" ? 1 : b);
    const uniform = mul(neg(reduceSum(logSoftmax(logits, -1))), 1 / divisor);
    loss = add(mul(ce, 1 - c.labelSmoothing), mul(uniform, c.labelSmoothing));
  }
  const classIds = g.constant(Int32Array.from({ length: classes }, (_, i) => i), [classes], "int32");
  const isTarget = cast(equal(reshape(targets, [b, 1]), classIds), logits.dtype);
  const isTop = cast(equal(logits, reduceMax(logits, [1], true)), logits.dtype);
  // argmax: only the first class at the maximum counts, as PyTorch's argmax, so a model whose logits tie
  // (a collapsed head) scores the share of the first class, not every sample.
  const isArgmax = firstOnes(isTop, 1);
  return { loss, metrics: { correct: reduceSum(mul(isArgmax, isTarget)) } };
}
