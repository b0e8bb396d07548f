/**
 * Named optimizers: each is a set of default hyperparameters and a role -> norm table for the one
 * composed machinery (compose.ts), with the papers' defaults and the source it follows
 * (research/papers.md §A; commits as recorded there). `makeOptimizer(name, overrides)` applies the
 * `--opt.KEY VALUE` overrides (options.ts).
 */
import type { Role } from "../contracts/params.ts";
import type { Optimizer } from "./types.ts";
import { composeOptimizer, type RadiusRule } from "./compose.ts";
import { readSmoothnessFit, smoothnessOf } from "./gluon.ts";
import type { NormName } from "./norms.ts";
import { applyOverrides, type Hyper, type OptionValue } from "./options.ts";
import { parseRouteRules, type RoleTable } from "./route.ts";

/** A named optimizer. */
export interface Preset {
  /** One line: what it is. */
  summary: string;
  /** Where its update rule and defaults come from. */
  source: string;
  defaults: Hyper;
  /** The route per role, given the resolved hyperparameters (radii come from the scale options). */
  table(hyper: Hyper): RoleTable;
}

/** Builds a role table: hidden and conv take `matrixScale`, other roles the scale option of their class. */
function roleTable(norms: Record<Role, NormName>, hyper: Hyper, matrixScale = hyper.scale): RoleTable {
  const scales: Record<Role, number> = {
    hidden: matrixScale,
    conv: matrixScale,
    head: hyper.head_scale,
    tied_embedding: hyper.head_scale,
    embedding: hyper.embed_scale,
    position: hyper.embed_scale,
    bias: hyper.vector_scale,
    gain: hyper.vector_scale,
  };
  const table = {} as RoleTable;
  for (const role of Object.keys(norms) as Role[]) table[role] = { norm: norms[role], scale: scales[role] };
  return table;
}

/** Every role to one norm. */
function everywhere(norm: NormName): Record<Role, NormName> {
  return {
    hidden: norm,
    conv: norm,
    embedding: norm,
    position: norm,
    head: norm,
    tied_embedding: norm,
    bias: norm,
    gain: norm,
  };
}

/** Matrices of the body to `matrix`, everything else (embeddings, heads, biases, gains) to `rest`. */
function bodyAndRest(matrix: NormName, rest: NormName): Record<Role, NormName> {
  return { ...everywhere(rest), hidden: matrix, conv: matrix };
}

/** Scion's norms (scion.py@f58a393): Spectral, SpectralConv, ColNorm for input embeddings, Sign heads, BiasRMS. */
const SCION_NORMS: Record<Role, NormName> = {
  hidden: "spectral_scion",
  conv: "spectral_conv",
  embedding: "colnorm",
  position: "colnorm",
  head: "sign",
  tied_embedding: "sign",
  bias: "bias_rms",
  gain: "bias_rms",
};

/** Settings shared by every preset unless it says otherwise. */
const BASE: Hyper = {
  lr: 1e-3,
  schedule: "constant",
  warmup: 0,
  decay_start: 0.4,
  lr_floor: 0.1,
  momentum: "ema",
  beta: 0.9,
  momentum_init: "zero",
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  bias_correction: true,
  adam_init: "zero",
  polar: "ns5",
  ns_steps: 5,
  product: "max",
  step: "lmo",
  scale: 1,
  head_scale: 1,
  embed_scale: 1,
  vector_scale: 1,
  wd: 0,
  wd_scaled: false,
  clip: 0,
  fstar: null,
  momo_clamp: false,
  nuc: "exact",
  radius: "lr",
  L0: null,
  L1: null,
  fit: null,
  diag: "cheap",
  power_iters: 32,
  route: "",
};

/** The GPT-opt training set-up (Crawshaw et al.): constant-linear (0.4, floor 0.1), clip 1, wd 0.1. */
const GPT_OPT_TRAINING: Partial<Hyper> = {
  schedule: "constant-linear",
  decay_start: 0.4,
  lr_floor: 0.1,
  clip: 1,
  wd: 0.1,
};

/** GPT-opt's Muon-side momentum and Adam moments: EMA from the first gradient, (0.95, 0.95), no bias correction. */
const GPT_OPT_MOMENTS: Partial<Hyper> = {
  momentum: "ema",
  beta: 0.95,
  momentum_init: "first",
  beta1: 0.95,
  beta2: 0.95,
  eps: 1e-8,
  bias_correction: false,
  adam_init: "first",
  polar: "polar_express",
  ns_steps: 5,
};

const MUON_ADAM: Preset = {
  summary: "MuonAdam: LMO steps in the max product of spectral (hidden) and adam_infty (rest) norms",
  source:
    "modichirag/GPT-opt gptopt/optim/muonadam.py@33ed9de (research/papers.md §A.5); scale = muon_lr_scale",
  defaults: { ...BASE, ...GPT_OPT_TRAINING, ...GPT_OPT_MOMENTS, lr: 1e-3, scale: 10 },
  table: (h) => roleTable(bodyAndRest("spectral", "adam_infty"), h),
};

const MUON_MAX: Preset = {
  summary: "MuonMax: regularised steps in the hybrid product of spectral/sqrt(scale) and adam_2 norms",
  source:
    "modichirag/GPT-opt gptopt/optim/muonmax_momo.py@33ed9de, truncation off (research/papers.md §A.6); " +
    "scale = muon_lr_scale = s^2",
  defaults: {
    ...BASE,
    ...GPT_OPT_TRAINING,
    ...GPT_OPT_MOMENTS,
    lr: 1e-3,
    scale: 10,
    product: "hybrid",
    step: "rsd",
    nuc: "stale",
  },
  table: (h) => roleTable(bodyAndRest("spectral", "adam_2"), h, Math.sqrt(h.scale)),
};

const UNSCION: Preset = {
  summary: "uScion: unconstrained Scion, W <- W - lr rho lmo(buf) (the Gluon authors' NanoGPT run)",
  source: "LIONS-EPFL/scion scion.py@f58a393 (unconstrained=True); settings of artem-riabinin/" +
    "Experiments-estimating-smoothness-for-NanoGPT-and-CNN nanogpt/train_gpt_unscion_estimate_blockwise_smoothness.py" +
    "@26769e3 (research/papers.md §A.2, §C.1)",
  defaults: {
    ...BASE,
    lr: 0.00036,
    beta: 0.9,
    scale: 50,
    head_scale: 3000,
    embed_scale: 50,
    vector_scale: 50,
  },
  table: (h) => roleTable(SCION_NORMS, h),
};

/** Every named optimizer. */
const PRESETS: Record<string, Preset> = {
  sgdm: {
    summary:
      "SGD with heavy-ball momentum: regularised steps in the l2 product of Euclidean norms (x <- x - lr buf)",
    source:
      "torch.optim.SGD (momentum 0.9, dampening 0), the `sgd-m` baseline of modichirag/GPT-opt utils.py, " +
      "trained with GPT-opt's schedule and clipping (research/papers.md §C.3)",
    defaults: {
      ...BASE,
      ...GPT_OPT_TRAINING,
      wd: 0,
      lr: 0.1,
      momentum: "heavyball",
      beta: 0.9,
      product: "l2",
      step: "rsd",
    },
    table: (h) => roleTable(everywhere("euclidean"), h),
  },
  adamw: {
    summary: "AdamW: LMO steps in the max product of adam_infty norms at the bias-corrected moments",
    source:
      "torch.optim.AdamW defaults (betas 0.9, 0.999, eps 1e-8), the `adamw` baseline of modichirag/GPT-opt " +
      "utils.py with its wd 0.1, schedule and clipping (research/papers.md §C.3)",
    defaults: { ...BASE, ...GPT_OPT_TRAINING, lr: 1e-3 },
    table: (h) => roleTable(everywhere("adam_infty"), h),
  },
  muon: {
    summary: "Muon with auxiliary Adam: Nesterov NS5 on hidden/conv, sqrt(max(1, rows/cols)); Adam elsewhere",
    source:
      "KellerJordan/Muon muon.py@00ba60d MuonWithAuxAdam defaults: lr 0.02, momentum 0.95, Adam lr 3e-4 " +
      "(head/embed/vector scale 0.015 = 3e-4/0.02), betas (0.9, 0.95), eps 1e-10 (research/papers.md §A.1). " +
      "Conv kernels take the factor of their flattened [C_out, C_in k k] view; muon.py reads it from the " +
      "kernel's last two axes (k/k, so 1)",
    defaults: {
      ...BASE,
      lr: 0.02,
      momentum: "nesterov",
      beta: 0.95,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-10,
      head_scale: 0.015,
      embed_scale: 0.015,
      vector_scale: 0.015,
      wd_scaled: true,
    },
    table: (h) => roleTable(bodyAndRest("spectral_scion_max", "adam_infty"), h),
  },
  "muon-adam": MUON_ADAM,
  scion: {
    summary: "Scion (constrained): W <- (1 - lr) W - lr rho lmo(buf), Scion's norms, radii 50 / 3000",
    source:
      "LIONS-EPFL/scion scion.py@f58a393 with examples/modded-nanogpt/train_gpt_scion.py: lr 0.00036, " +
      "scale 50, last_scale 3000, momentum 0.1 (beta 0.9), warmdown 1450 of 5100 (research/papers.md §A.2)",
    defaults: {
      ...UNSCION.defaults,
      wd: 1,
      schedule: "constant-linear",
      decay_start: 1 - 1450 / 5100,
      lr_floor: 0,
    },
    table: UNSCION.table,
  },
  uscion: UNSCION,
  gluon: {
    summary:
      "Gluon: uScion's norms with the layer-wise radius t_i = ||g_i||* / (L0_i + L1_i ||g_i||*) (Theorem 1)",
    source:
      "Riabinin et al. arXiv:2505.13416, Theorem 1 / Algorithm 2 as transcribed in research/papers.md §A.3; " +
      "norms of LIONS-EPFL/scion scion.py@f58a393; default (L0, L1) from the authors' fits (§B.5)",
    defaults: {
      ...UNSCION.defaults,
      lr: 1,
      beta: 0,
      radius: "gluon",
      scale: 1,
      head_scale: 1,
      embed_scale: 1,
      vector_scale: 1,
    },
    table: UNSCION.table,
  },
  muonmax: MUON_MAX,
  polargrad: {
    summary:
      "PolarGrad: regularised steps in the l2 product, W <- W - lr ||M||_nuc polar(M); Adam (adam_2) elsewhere",
    source:
      "modichirag/GPT-opt branch michael@65aaeb0 gptopt/optim/muon.py (not lmo, l2_prod_norm) and the NESGD " +
      "docstring of nesgd.py@5cdc5b28 (research/papers.md §A.4)",
    defaults: { ...MUON_MAX.defaults, product: "l2", scale: 1, nuc: "exact" },
    table: MUON_MAX.table,
  },
  "muon-adam-momo": {
    summary: "MuonAdam-Momo: MuonAdam with the trust radius truncated at F_*, tau = min(lr, h / ||d||_*)",
    source: "modichirag/GPT-opt gptopt/optim/muonadam_momo.py@33ed9de (stale_nuc), F_* 3.2 from utils.py " +
      "get_optimizer (research/papers.md §A.7)",
    defaults: { ...MUON_ADAM.defaults, fstar: 3.2, nuc: "stale" },
    table: MUON_ADAM.table,
  },
  "muonmax-momo": {
    summary: "MuonMax-Momo: MuonMax with tau = min(lr, h / ||d||_*^2)",
    source: "modichirag/GPT-opt gptopt/optim/muonmax_momo.py@33ed9de (stale_nuc), F_* 3.2 from utils.py " +
      "get_optimizer (research/papers.md §A.7)",
    defaults: { ...MUON_MAX.defaults, fstar: 3.2 },
    table: MUON_MAX.table,
  },
  "scion-momo": {
    summary:
      "Scion-Momo: GPT-opt's `muon-momo` (LMO, max product, spectral + plain sign on everything else, Momo)",
    source:
      "modichirag/GPT-opt utils.py get_optimizer `muon-momo` -> NESGD nesgd.py@5cdc5b28 (lmo, linfty, " +
      "embed_norm linfty, F_* 3.2); scale = muon_lr_ratio, 10 as MuonAdam's default (research/papers.md §A.4)",
    defaults: { ...BASE, ...GPT_OPT_TRAINING, ...GPT_OPT_MOMENTS, lr: 1e-3, scale: 10, fstar: 3.2 },
    table: (h) => roleTable(bodyAndRest("spectral", "linfty"), h),
  },
};

/** Names of every preset. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** A preset by name, or an error listing the names. */
export function preset(name: string): Preset {
  const found = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!found) throw new Error(`unknown optimizer "${name}"; presets are: ${presetNames().join(", ")}`);
  return found;
}

/** The step-length rule the hyperparameters ask for. */
function radiusRule(name: string, hyper: Hyper): RadiusRule {
  if (hyper.fstar !== null && hyper.radius === "gluon") {
    throw new Error(
      `${name}: Momo truncation (fstar) and Gluon's radius are two step rules; set fstar none or radius lr`,
    );
  }
  if (hyper.fstar !== null) return { kind: "momo", fstar: hyper.fstar, clamp: hyper.momo_clamp };
  if (hyper.radius === "lr") return { kind: "lr" };
  const fits = hyper.fit === null ? new Map() : readSmoothnessFit(hyper.fit);
  return { kind: "gluon", smoothness: (spec) => smoothnessOf(spec, fits, { L0: hyper.L0, L1: hyper.L1 }) };
}

/** A named optimizer with `--opt.KEY VALUE` overrides applied (unknown keys and bad values throw, listing the keys). */
export function makeOptimizer(name: string, overrides: Record<string, OptionValue> = {}): Optimizer {
  const p = preset(name);
  const hyper = applyOverrides(`optimizer ${name}`, p.defaults, overrides);
  return composeOptimizer({
    name,
    hyper: { ...hyper },
    lr: hyper.lr,
    schedule: {
      name: hyper.schedule,
      warmup: hyper.warmup,
      decayStart: hyper.decay_start,
      floor: hyper.lr_floor,
    },
    table: p.table(hyper),
    rules: parseRouteRules(hyper.route),
    polar: { method: hyper.polar, steps: hyper.ns_steps },
    momentum: { kind: hyper.momentum, beta: hyper.beta, init: hyper.momentum_init },
    adam: {
      beta1: hyper.beta1,
      beta2: hyper.beta2,
      eps: hyper.eps,
      biasCorrection: hyper.bias_correction,
      init: hyper.adam_init,
    },
    product: hyper.product,
    step: hyper.step,
    radius: radiusRule(name, hyper),
    nuclear: hyper.nuc,
    weightDecay: hyper.wd,
    decayScaled: hyper.wd_scaled,
    clip: hyper.clip,
    gradDual: hyper.diag,
    powerIterations: hyper.power_iters,
  });
}
