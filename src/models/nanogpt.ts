/**
 * NanoGPT workloads: a pre-norm causal transformer language model in two flavours.
 *
 * - `gpt2`: GPT-2 as in nanoGPT and llm.c (Crawshaw et al.'s GPT-opt `gpt_model.py`): learned positions `wpe`,
 *   LayerNorm (eps 1e-5) with gains and optional biases, GELU MLP of width 4d, optional biases, tied or
 *   untied head. GELU is the tanh form of llm.c/GPT-opt (nanoGPT's `nn.GELU()` is the erf form; they differ
 *   by < 1e-3). Init: every matrix and embedding Normal(0, 0.02^2), the residual projections
 *   `attn.c_proj` and `mlp.c_proj` Normal(0, (0.02/sqrt(2 n_layer))^2), biases 0, gains 1.
 * - `modded`: modded-nanogpt's Oct-2024 record as used by Gluon's smoothness runs
 *   (`train_gpt_unscion_estimate_blockwise_smoothness*.py`): RoPE (base 10000, rotating the two halves of
 *   each head), RMSNorm without gains before each sublayer and at the end, QK-RMSNorm, MLP
 *   (sqrt(2) relu(x))^2, no biases, tied `wte`/`lm_head`. RMSNorm uses eps = float32 machine epsilon, the
 *   default of `F.rms_norm`. Init: PyTorch's defaults, which that script keeps (it never calls Scion's
 *   `init()`): c_q, c_k, c_v, c_fc Uniform(+-1/sqrt(d)); `attn.c_proj` and `mlp.c_proj` zero; the tied
 *   matrix is `lm_head`'s Linear init Uniform(+-1/sqrt(d)). Because the blocks start as the identity and the
 *   head is tied, the initial loss is not ln(vocab): each token predicts itself with logit
 *   ||wte[x]|| sqrt(d) (about 16 for the 124M model, matching the logged step-0 val loss 16.01).
 *
 * Parameter names follow the papers' code with the `transformer.` prefix dropped: `wte`, `wpe`,
 * `h.{i}.ln_1.weight`, `h.{i}.attn.c_q` (and c_k, c_v, c_proj), `h.{i}.mlp.c_fc`, `h.{i}.mlp.c_proj`, biases
 * `<matrix>.bias`, `ln_f.weight`, `lm_head` (untied only). Order: PyTorch's `named_parameters` order.
 * Batch: `x` and `y`, int32 [batch, context]; loss: mean softmax cross-entropy over all positions.
 */
import {
  add,
  causalMask,
  concat,
  gather,
  gelu,
  type Graph,
  layerNorm,
  linear,
  matmul,
  mul,
  pow,
  relu,
  reshape,
  rmsNorm,
  slice,
  softmax,
  softmaxCrossEntropy,
  sub,
  type Tensor,
  transpose,
} from "../graph/mod.ts";
import { constantInit, type Initializer, normalInit, torchDefaultInit } from "./init.ts";
import type { ParamSpec, Role } from "../contracts/params.ts";
import type { BatchSpec, Workload } from "./types.ts";
import { intAtLeast, oneOf, rejectUnknownKeys, requireTensors } from "./validate.ts";

/** The two architectures: GPT-2 (nanoGPT / llm.c) and the modded-nanogpt record Gluon measured. */
export type GptFlavour = "gpt2" | "modded";

/** The flavours, for validation and listings. */
export const GPT_FLAVOURS: readonly GptFlavour[] = ["gpt2", "modded"];

/** Options of {@link nanoGpt}; `bias` and `tied` apply to the gpt2 flavour (modded has no biases and is tied). */
export interface GptOptions {
  flavour: GptFlavour;
  layers: number;
  heads: number;
  /** Model width d (n_embd); must be divisible by `heads`. */
  width: number;
  /** Sequence length T of every batch (and the number of `wpe` rows). */
  context: number;
  vocab: number;
  /** Sequences per batch; fixed per graph. */
  batch: number;
  /** Biases in every Linear and LayerNorm (gpt2 only; default false, nanoGPT's training default). */
  bias?: boolean;
  /** `wte` doubles as the output head (gpt2 only; default true). */
  tied?: boolean;
}

/** A fully resolved GPT configuration (what the workload records). */
export type GptConfig = Required<GptOptions>;

const OPTION_KEYS: readonly (keyof GptOptions)[] = [
  "flavour",
  "layers",
  "heads",
  "width",
  "context",
  "vocab",
  "batch",
  "bias",
  "tied",
];

/** float32 machine epsilon: what `F.rms_norm` uses when eps is not given. */
const RMS_EPS = 2 ** -23;
const ROPE_BASE = 10000;
const GPT2_STD = 0.02;

/** Checks options and fills defaults; throws a message naming the workload and the bad option. */
export function resolveGptConfig(owner: string, options: GptOptions): GptConfig {
  rejectUnknownKeys(owner, options, OPTION_KEYS);
  const flavour = oneOf(owner, "flavour", options.flavour, GPT_FLAVOURS);
  const [layers, heads, width, context, vocab, batch] =
    (["layers", "heads", "width", "context", "vocab", "batch"] as const)
      .map((k) => intAtLeast(owner, k, options[k]));
  if (width % heads !== 0) throw new Error(`${owner}: width ${width} must be divisible by heads ${heads}`);
  const bias = oneOf(owner, "bias", options.bias ?? false, [false, true]);
  const tied = oneOf(owner, "tied", options.tied ?? true, [false, true]);
  if (flavour === "modded") {
    if ((width / heads) % 2 !== 0) {
      throw new Error(`${owner}: RoPE needs an even head dimension, got ${width}/${heads}`);
    }
    if (bias || !tied) {
      throw new Error(
        `${owner}: the modded flavour has no biases and a tied head; drop bias/tied or use flavour "gpt2"`,
      );
    }
  }
  return { flavour, layers, heads, width, context, vocab, batch, bias, tied };
}

/** The parameter specs of a GPT configuration, in PyTorch's `named_parameters` order. */
export function gptParams(c: GptConfig): ParamSpec[] {
  const d = c.width;
  const specs: ParamSpec[] = [];
  const param = (name: string, shape: number[], role: Role, init: (size: number) => Initializer) =>
    specs.push({ name, shape, role, init: init(shape.reduce((a, b) => a * b, 1)) });
  const zeros = (n: number) => constantInit(n, 0);
  const ones = (n: number) => constantInit(n, 1);

  if (c.flavour === "gpt2") {
    const normal = (n: number) => normalInit(n, GPT2_STD);
    const residual = (n: number) => normalInit(n, GPT2_STD / Math.sqrt(2 * c.layers));
    const matrix = (name: string, shape: number[], init: (n: number) => Initializer) => {
      param(name, shape, "hidden", init);
      if (c.bias) param(`${name}.bias`, [shape[0]], "bias", zeros);
    };
    const norm = (name: string) => {
      param(`${name}.weight`, [d], "gain", ones);
      if (c.bias) param(`${name}.bias`, [d], "bias", zeros);
    };
    param("wte", [c.vocab, d], c.tied ? "tied_embedding" : "embedding", normal);
    param("wpe", [c.context, d], "position", normal);
    for (let i = 0; i < c.layers; i++) {
      norm(`h.${i}.ln_1`);
      for (const m of ["c_q", "c_k", "c_v"]) matrix(`h.${i}.attn.${m}`, [d, d], normal);
      matrix(`h.${i}.attn.c_proj`, [d, d], residual);
      norm(`h.${i}.ln_2`);
      matrix(`h.${i}.mlp.c_fc`, [4 * d, d], normal);
      matrix(`h.${i}.mlp.c_proj`, [d, 4 * d], residual);
    }
    norm("ln_f");
    if (!c.tied) param("lm_head", [c.vocab, d], "head", normal);
  } else {
    const linearInit = (n: number) => torchDefaultInit(n, d);
    param("wte", [c.vocab, d], "tied_embedding", linearInit);
    for (let i = 0; i < c.layers; i++) {
      for (const m of ["c_q", "c_k", "c_v"]) param(`h.${i}.attn.${m}`, [d, d], "hidden", linearInit);
      param(`h.${i}.attn.c_proj`, [d, d], "hidden", zeros);
      param(`h.${i}.mlp.c_fc`, [4 * d, d], "hidden", linearInit);
      param(`h.${i}.mlp.c_proj`, [d, 4 * d], "hidden", zeros);
    }
  }
  return specs;
}

/** Builds a NanoGPT workload (see the module doc for the two flavours). */
export function nanoGpt(name: string, options: GptOptions): Workload {
  const config = resolveGptConfig(name, options);
  const params = gptParams(config);
  const batch: BatchSpec[] = [
    { name: "x", shape: [config.batch, config.context], dtype: "int32" },
    { name: "y", shape: [config.batch, config.context], dtype: "int32" },
  ];
  return {
    name,
    kind: "text",
    config: { ...config },
    params,
    batch,
    buildLoss(g, p, b) {
      requireTensors(name, "parameter", params, p);
      requireTensors(name, "batch input", batch, b);
      const logits = gptLogits(g, config, p, b.x);
      return { loss: softmaxCrossEntropy(logits, b.y, "mean") };
    },
  };
}

/** The forward pass: logits [B, T, vocab] of tokens [B, T]. */
function gptLogits(g: Graph, c: GptConfig, p: Record<string, Tensor>, tokens: Tensor): Tensor {
  const modded = c.flavour === "modded";
  const norm = (x: Tensor, name: string) =>
    modded ? rmsNorm(x, undefined, RMS_EPS) : layerNorm(x, p[`${name}.weight`], p[`${name}.bias`]);
  const dense = (x: Tensor, name: string) => linear(x, p[name], p[`${name}.bias`]);
  const rope = modded ? rotaryTables(g, c.context, c.width / c.heads) : undefined;

  let h = gather(p.wte, tokens);
  if (!modded) h = add(h, p.wpe);
  for (let i = 0; i < c.layers; i++) {
    h = add(h, attention(norm(h, `h.${i}.ln_1`), `h.${i}.attn`, c, dense, rope));
    const hidden = dense(norm(h, `h.${i}.ln_2`), `h.${i}.mlp.c_fc`);
    const act = modded ? pow(mul(relu(hidden), Math.SQRT2), 2) : gelu(hidden);
    h = add(h, dense(act, `h.${i}.mlp.c_proj`));
  }
  return linear(norm(h, "ln_f"), c.tied ? p.wte : p.lm_head);
}

/** cos and sin of position t times frequency base^(-2j/headDim), shaped [1, T, 1, headDim/2]. */
interface RotaryTables {
  cos: Tensor;
  sin: Tensor;
}

function rotaryTables(g: Graph, context: number, headDim: number): RotaryTables {
  const half = headDim / 2;
  const cos = new Float64Array(context * half);
  const sin = new Float64Array(context * half);
  for (let t = 0; t < context; t++) {
    for (let j = 0; j < half; j++) {
      const angle = t / ROPE_BASE ** ((2 * j) / headDim);
      cos[t * half + j] = Math.cos(angle);
      sin[t * half + j] = Math.sin(angle);
    }
  }
  const shape = [1, context, 1, half];
  return { cos: g.constant(cos, shape), sin: g.constant(sin, shape) };
}

/** modded-nanogpt's rotary embedding of x [B, T, H, hd]: halves (x1, x2) -> (x1 cos + x2 sin, x2 cos - x1 sin). */
function applyRotary(x: Tensor, { cos, sin }: RotaryTables): Tensor {
  const hd = x.shape[3];
  const x1 = slice(x, [0], [hd / 2], [3]);
  const x2 = slice(x, [hd / 2], [hd], [3]);
  return concat([add(mul(x1, cos), mul(x2, sin)), sub(mul(x2, cos), mul(x1, sin))], 3);
}

/** Causal multi-head self-attention of x [B, T, d] with separate c_q, c_k, c_v and an output c_proj. */
function attention(
  x: Tensor,
  prefix: string,
  c: GptConfig,
  dense: (x: Tensor, name: string) => Tensor,
  rope: RotaryTables | undefined,
): Tensor {
  const [b, t, d] = x.shape;
  const hd = d / c.heads;
  const split = (name: string) => reshape(dense(x, `${prefix}.${name}`), [b, t, c.heads, hd]);
  const qkNorm = (y: Tensor) => (rope ? applyRotary(rmsNorm(y, undefined, RMS_EPS), rope) : y);
  const q = transpose(qkNorm(split("c_q")), [0, 2, 1, 3]); // [B, H, T, hd]
  const kT = transpose(qkNorm(split("c_k")), [0, 2, 3, 1]); // [B, H, hd, T]
  const v = transpose(split("c_v"), [0, 2, 1, 3]);
  const weights = softmax(causalMask(mul(matmul(q, kT), 1 / Math.sqrt(hd))), -1);
  const y = reshape(transpose(matmul(weights, v), [0, 2, 1, 3]), [b, t, d]);
  return dense(y, `${prefix}.c_proj`);
}
