/**
 * The workloads: names, roles and sizes; forward passes against plain-JS float64 references; gradients of
 * every parameter against finite differences; initial losses; and one batch driven to near-zero loss.
 */
import assert from "node:assert/strict";
import { exportOnnx, grad, Graph, type Tensor } from "../src/graph/mod.ts";
import {
  type CnnConfig,
  type GptConfig,
  makeWorkload,
  type Role,
  whiteningKernel,
  type Workload,
  workloadNames,
} from "../src/models/mod.ts";
import { type HostData, openBackend } from "../src/runtime/mod.ts";
import { Program } from "../src/runtime/program.ts";
import { Rng } from "../src/trace/seeds.ts";
import { checkGradients } from "./helpers/gradcheck.ts";
import { cnnReference, gptReferenceLoss } from "./helpers/model_reference.ts";

const backend = await openBackend("native", { threads: 2 });

/** Declares the workload's parameters and batch as graph inputs named as in the workload. */
function declare(g: Graph, w: Workload) {
  const params: Record<string, Tensor> = {};
  for (const p of w.params) params[p.name] = g.input(p.name, p.shape);
  const batch: Record<string, Tensor> = {};
  for (const b of w.batch) batch[b.name] = g.input(b.name, b.shape, b.dtype);
  return { params, batch };
}

/** Loss, metrics and (optionally) every parameter's gradient as `grad/<name>`, compiled on the native backend. */
async function compile(w: Workload, dtype: "float32" | "float64", withGrads: boolean): Promise<Program> {
  const g = new Graph(dtype);
  const { params, batch } = declare(g, w);
  const { loss, metrics = {} } = w.buildLoss(g, params, batch);
  const outputs: Record<string, Tensor> = { loss, ...metrics };
  if (withGrads) {
    grad(loss, w.params.map((p) => params[p.name])).forEach((
      t,
      i,
    ) => (outputs[`grad/${w.params[i].name}`] = t));
  }
  return await Program.load(backend, exportOnnx(outputs));
}

/** The workload's own initial values, each entry perturbed by Normal(0, noise^2) (so zero-init layers matter). */
function paramValues(w: Workload, rng: Rng, noise: number): Record<string, Float64Array> {
  return Object.fromEntries(
    w.params.map((p) => [p.name, Float64Array.from(p.init(rng), (v) => v + noise * rng.normal())]),
  );
}

/** Random tokens/labels below `classes` for int inputs and standard normal pixels for float inputs. */
function randomBatch(w: Workload, rng: Rng): Record<string, Int32Array | Float32Array> {
  const classes = (w.config.vocab ?? w.config.classes) as number;
  return Object.fromEntries(w.batch.map((b) => {
    const n = b.shape.reduce((a, c) => a * c, 1);
    return [
      b.name,
      b.dtype === "int32" ? Int32Array.from({ length: n }, () => rng.int(classes)) : rng.normalArray(n),
    ];
  }));
}

const asDtype = (
  values: Record<string, Float64Array>,
  dtype: "float32" | "float64",
): Record<string, HostData> =>
  Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, dtype === "float64" ? v : Float32Array.from(v)]),
  );

// ---------------------------------------------------------------------------------------------- presets

Deno.test("presets: every name builds; an unknown name or option is rejected with the valid ones listed", () => {
  const names = workloadNames();
  assert.equal(new Set(names).size, names.length);
  for (
    const n of [
      "nanogpt-tiny",
      "nanogpt-tiny-modded",
      "nanogpt-mini",
      "nanogpt-small",
      "nanogpt-124m",
      "nanogpt-124m-modded",
      "nanogpt-774m",
    ]
  ) {
    assert.ok(names.includes(n), n);
  }
  for (const n of ["cnn-tiny", "cnn-mini", "cnn-small", "cnn-airbench"]) assert.ok(names.includes(n), n);
  for (const n of names) {
    const w = makeWorkload(n);
    assert.equal(w.name, n);
    assert.equal(
      new Set(w.params.map((p) => p.name)).size,
      w.params.length,
      `${n}: parameter names are unique`,
    );
  }

  assert.throws(
    () => makeWorkload("nanogpt-huge"),
    (e: Error) => names.every((n) => e.message.includes(n)) && e.message.includes("nanogpt-huge"),
  );
  assert.throws(() => makeWorkload("toString"), /unknown workload "toString"/);
  assert.throws(
    () => makeWorkload("nanogpt-tiny", { layer: 2 }),
    /unknown option layer; valid options: flavour, layers, heads/,
  );
  assert.throws(
    () => makeWorkload("cnn-tiny", { depth: 2 }),
    /unknown option depth; valid options: input, classes, widths/,
  );
  assert.throws(() => makeWorkload("nanogpt-tiny", { width: 130 }), /width 130 must be divisible by heads 4/);
  assert.throws(() => makeWorkload("nanogpt-tiny", { vocab: 0 }), /vocab must be an integer >= 1, got 0/);
  assert.throws(() => makeWorkload("nanogpt-tiny-modded", { bias: true }), /modded flavour has no biases/);
  assert.throws(() => makeWorkload("cnn-tiny", { input: [1, 8, 8] }), /too small for three 2x pools/);
  assert.throws(
    () => makeWorkload("cnn-tiny", { reduction: "max" }),
    /reduction must be one of "mean", "sum"/,
  );
});

Deno.test("presets: overrides reach the config, which records every resolved option", () => {
  const w = makeWorkload("nanogpt-tiny", { vocab: 80, batch: 3 });
  assert.deepEqual(w.config, {
    flavour: "gpt2",
    layers: 4,
    heads: 4,
    width: 128,
    context: 64,
    vocab: 80,
    batch: 3,
    bias: false,
    tied: true,
  });
  assert.deepEqual(w.batch, [{ name: "x", shape: [3, 64], dtype: "int32" }, {
    name: "y",
    shape: [3, 64],
    dtype: "int32",
  }]);
  assert.deepEqual(w.params.find((p) => p.name === "wte")?.shape, [80, 128]);
  const cnn = makeWorkload("cnn-airbench");
  assert.equal(cnn.config.logitScale, 1 / 256);
  assert.equal(cnn.config.reduction, "sum");
  assert.equal(cnn.config.labelSmoothing, 0.2);
  assert.deepEqual(cnn.batch[0].shape, [2000, 3, 32, 32]);
});

// ---------------------------------------------------------------------------------------------- names, roles, sizes

const names = (w: Workload) => w.params.map((p) => `${p.name}:${p.role}:${p.shape.join("x")}`);

Deno.test("nanogpt: parameter names, order, roles and shapes of both flavours", () => {
  const sizes = { layers: 1, heads: 2, width: 8, context: 5, vocab: 11 };
  assert.deepEqual(names(makeWorkload("nanogpt-tiny", { ...sizes, bias: true, tied: false })), [
    "wte:embedding:11x8",
    "wpe:position:5x8",
    "h.0.ln_1.weight:gain:8",
    "h.0.ln_1.bias:bias:8",
    "h.0.attn.c_q:hidden:8x8",
    "h.0.attn.c_q.bias:bias:8",
    "h.0.attn.c_k:hidden:8x8",
    "h.0.attn.c_k.bias:bias:8",
    "h.0.attn.c_v:hidden:8x8",
    "h.0.attn.c_v.bias:bias:8",
    "h.0.attn.c_proj:hidden:8x8",
    "h.0.attn.c_proj.bias:bias:8",
    "h.0.ln_2.weight:gain:8",
    "h.0.ln_2.bias:bias:8",
    "h.0.mlp.c_fc:hidden:32x8",
    "h.0.mlp.c_fc.bias:bias:32",
    "h.0.mlp.c_proj:hidden:8x32",
    "h.0.mlp.c_proj.bias:bias:8",
    "ln_f.weight:gain:8",
    "ln_f.bias:bias:8",
    "lm_head:head:11x8",
  ]);
  assert.deepEqual(names(makeWorkload("nanogpt-tiny", sizes)), [
    "wte:tied_embedding:11x8",
    "wpe:position:5x8",
    "h.0.ln_1.weight:gain:8",
    "h.0.attn.c_q:hidden:8x8",
    "h.0.attn.c_k:hidden:8x8",
    "h.0.attn.c_v:hidden:8x8",
    "h.0.attn.c_proj:hidden:8x8",
    "h.0.ln_2.weight:gain:8",
    "h.0.mlp.c_fc:hidden:32x8",
    "h.0.mlp.c_proj:hidden:8x32",
    "ln_f.weight:gain:8",
  ]);
  assert.deepEqual(names(makeWorkload("nanogpt-tiny-modded", sizes)), [
    "wte:tied_embedding:11x8",
    "h.0.attn.c_q:hidden:8x8",
    "h.0.attn.c_k:hidden:8x8",
    "h.0.attn.c_v:hidden:8x8",
    "h.0.attn.c_proj:hidden:8x8",
    "h.0.mlp.c_fc:hidden:32x8",
    "h.0.mlp.c_proj:hidden:8x32",
  ]);
});

Deno.test("nanogpt: the Gluon model has the 72 hidden matrices and tied embedding its smoothness logs name", () => {
  const w = makeWorkload("nanogpt-124m-modded");
  const hidden = w.params.filter((p) => p.role === "hidden").map((p) => p.name);
  assert.equal(hidden.length, 72);
  assert.deepEqual(
    hidden.slice(24, 30),
    ["c_q", "c_k", "c_v", "c_proj"].map((m) => `h.4.attn.${m}`).concat(["h.4.mlp.c_fc", "h.4.mlp.c_proj"]),
  );
  assert.deepEqual(w.params.filter((p) => p.role !== "hidden").map((p) => `${p.name}:${p.role}:${p.shape}`), [
    "wte:tied_embedding:50304,768",
  ]);
  assert.deepEqual(w.params.find((p) => p.name === "h.4.mlp.c_fc")?.shape, [3072, 768]);
});

const count = (w: Workload) => w.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);

Deno.test("nanogpt: parameter counts of the paper models (from shapes, nothing allocated)", () => {
  // GPT-2 with biases and a tied head: 12 L d^2 + 13 L d + (V + T) d + 2d (the final LayerNorm).
  const gpt2 = (l: number, d: number, v: number, t: number) =>
    12 * l * d * d + 13 * l * d + (v + t) * d + 2 * d;
  assert.equal(count(makeWorkload("nanogpt-124m")), gpt2(12, 768, 50257, 1024));
  assert.equal(count(makeWorkload("nanogpt-124m")), 124_439_808); // HF GPT2LMHeadModel's count for "gpt2"
  assert.equal(count(makeWorkload("nanogpt-774m")), gpt2(36, 1280, 50257, 1024));
  assert.ok(Math.abs(count(makeWorkload("nanogpt-774m")) / 774e6 - 1) < 0.001);
  // modded: 12 L d^2 + V d (no biases, gains or positions).
  assert.equal(count(makeWorkload("nanogpt-124m-modded")), 12 * 12 * 768 * 768 + 50304 * 768);
  assert.ok(Math.abs(count(makeWorkload("nanogpt-124m-modded")) / 124e6 - 1) < 0.01);
});

Deno.test("cnn: parameter names, order, roles and shapes", () => {
  const expected = (whiten: string[]) => [
    ...whiten,
    "whiten.bias:bias:8",
    "layers.1.conv1:conv:8x8x3x3",
    "layers.1.norm1.bias:bias:8",
    "layers.1.conv2:conv:8x8x3x3",
    "layers.1.norm2.bias:bias:8",
    "layers.2.conv1:conv:16x8x3x3",
    "layers.2.norm1.bias:bias:16",
    "layers.2.conv2:conv:16x16x3x3",
    "layers.2.norm2.bias:bias:16",
    "layers.3.conv1:conv:16x16x3x3",
    "layers.3.norm1.bias:bias:16",
    "layers.3.conv2:conv:16x16x3x3",
    "layers.3.norm2.bias:bias:16",
    "head.weight:head:10x16",
  ];
  assert.deepEqual(names(makeWorkload("cnn-tiny")), expected([]));
  assert.deepEqual(
    names(makeWorkload("cnn-tiny", { whiten: "trainable" })),
    expected(["whiten.weight:conv:8x1x2x2"]),
  );
  const airbench = makeWorkload("cnn-airbench");
  assert.deepEqual(airbench.params.find((p) => p.name === "layers.2.conv1")?.shape, [256, 64, 3, 3]);
  assert.deepEqual(airbench.params.find((p) => p.name === "whiten.bias")?.shape, [24]);
  const roles = new Set<Role>(airbench.params.map((p) => p.role));
  assert.deepEqual([...roles].sort(), ["bias", "conv", "head"]);
});

// ---------------------------------------------------------------------------------------------- initializers

const stats = (v: Float32Array) => {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return {
    mean,
    std: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length),
    maxAbs: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0),
  };
};

Deno.test("init: GPT-2 normal 0.02 with scaled residual projections; modded PyTorch defaults with zero projections", () => {
  const rng = new Rng(11);
  const values = (w: Workload) => Object.fromEntries(w.params.map((p) => [p.name, p.init(rng)]));
  const gpt2 = values(makeWorkload("nanogpt-tiny", { bias: true }));
  assert.ok(Math.abs(stats(gpt2.wte).std / 0.02 - 1) < 0.03);
  assert.ok(Math.abs(stats(gpt2["h.1.mlp.c_fc"]).std / 0.02 - 1) < 0.03);
  assert.ok(Math.abs(stats(gpt2["h.1.attn.c_proj"]).std / (0.02 / Math.sqrt(8)) - 1) < 0.05);
  assert.deepEqual([stats(gpt2["h.0.ln_1.weight"]).mean, stats(gpt2["h.0.ln_1.weight"]).std], [1, 0]);
  assert.equal(stats(gpt2["h.0.attn.c_q.bias"]).maxAbs, 0);

  const modded = values(makeWorkload("nanogpt-tiny-modded"));
  const bound = 1 / Math.sqrt(128);
  for (const name of ["wte", "h.0.attn.c_q", "h.3.mlp.c_fc"]) {
    const s = stats(modded[name]);
    assert.ok(s.maxAbs <= bound && s.maxAbs > 0.99 * bound, name);
    assert.ok(Math.abs(s.std / (bound / Math.sqrt(3)) - 1) < 0.03, name); // Uniform(-b, b) has std b/sqrt(3)
  }
  for (const name of ["h.0.attn.c_proj", "h.3.mlp.c_proj"]) assert.equal(stats(modded[name]).maxAbs, 0, name);
  // Same seed, same values: inits are deterministic.
  assert.deepEqual(
    makeWorkload("nanogpt-tiny").params[2].init(new Rng(5)),
    makeWorkload("nanogpt-tiny").params[2].init(new Rng(5)),
  );
});

Deno.test("init: airbench dirac conv filters, unit-std head, zero norm biases; whitening kernel is [Q; -Q]", () => {
  const w = makeWorkload("cnn-tiny");
  const rng = new Rng(12);
  const v = Object.fromEntries(w.params.map((p) => [p.name, p.init(rng)]));
  // layers.2.conv1 is [16, 8, 3, 3]: filters 0..7 are identities of their channel, 8..15 Uniform(+-1/sqrt(72)).
  const conv = v["layers.2.conv1"];
  for (let o = 0; o < 8; o++) {
    const filter = conv.slice(o * 72, (o + 1) * 72);
    assert.equal(filter.reduce((s, x) => s + Math.abs(x), 0), 1);
    assert.equal(filter[o * 9 + 4], 1);
  }
  const rest = stats(conv.slice(8 * 72));
  assert.ok(rest.maxAbs <= 1 / Math.sqrt(72) && rest.std > 0.5 / Math.sqrt(3 * 72));
  const head = v["head.weight"];
  const h = stats(head);
  assert.ok(Math.abs(Math.sqrt((h.std ** 2 * head.length) / (head.length - 1)) - 1) < 1e-6);
  assert.equal(stats(v["layers.1.norm2.bias"]).maxAbs, 0);
  assert.ok(stats(v["whiten.bias"]).maxAbs <= 1 / Math.sqrt(4));

  const p = 12; // 3 channels x 2 x 2
  const k = whiteningKernel(3, new Rng(1));
  assert.equal(k.length, 2 * p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let dot = 0;
      for (let t = 0; t < p; t++) dot += k[i * p + t] * k[j * p + t];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-6, `rows ${i}, ${j}`);
    }
  }
  for (let i = 0; i < p * p; i++) assert.equal(k[p * p + i], -k[i]);
});

// ---------------------------------------------------------------------------------------------- forward passes

async function gptForward(
  w: Workload,
  values: Record<string, Float64Array>,
  batch: Record<string, Int32Array | Float32Array>,
) {
  const program = await compile(w, "float64", false);
  try {
    return Number((await program.runToHost({ ...values, ...batch })).loss[0]);
  } finally {
    await program.release();
  }
}

for (
  const [name, overrides] of [
    ["nanogpt-tiny", { bias: true, tied: false }],
    ["nanogpt-tiny", {}],
    ["nanogpt-tiny-modded", {}],
  ] as const
) {
  Deno.test(`nanogpt: ${name} ${JSON.stringify(overrides)} forward matches a float64 JS reference`, async () => {
    const w = makeWorkload(name, {
      ...overrides,
      layers: 2,
      heads: 2,
      width: 8,
      context: 5,
      vocab: 7,
      batch: 2,
    });
    const rng = new Rng(21);
    const values = paramValues(w, rng, 0.3);
    const batch = randomBatch(w, rng);
    const expected = gptReferenceLoss(w.config as GptConfig, values, batch.x, batch.y);
    const got = await gptForward(w, values, batch);
    assert.ok(Math.abs(got - expected) < 1e-10 * expected, `graph ${got} vs reference ${expected}`);
  });
}

Deno.test("nanogpt: nanogpt-tiny's initial loss is ln(vocab) within 0.1", async () => {
  const w = makeWorkload("nanogpt-tiny");
  const rng = new Rng(31);
  const loss = await gptForward(w, paramValues(w, rng, 0), randomBatch(w, rng));
  assert.ok(Math.abs(loss - Math.log(65)) < 0.1, `initial loss ${loss}`);
});

Deno.test("nanogpt: nanogpt-tiny-modded's initial loss is that of identity blocks and a tied head", async () => {
  // Zero c_proj makes every block the identity, so logits = wte . rmsnorm(wte[x]) and each token predicts
  // itself with logit |wte[x]| sqrt(d) (as Gluon's logged step-0 val loss 16.0 at d = 768 shows).
  const w = makeWorkload("nanogpt-tiny-modded");
  const rng = new Rng(32);
  const values = paramValues(w, rng, 0);
  const batch = randomBatch(w, rng);
  const [v, d] = [65, 128];
  const row = (i: number) => values.wte.subarray(i * d, (i + 1) * d);
  let expected = 0;
  batch.x.forEach((tok, i) => {
    const e = row(tok);
    const rms = Math.sqrt(e.reduce((s, z) => s + z * z, 0) / d + 2 ** -23);
    const logits = Array.from({ length: v }, (_, u) => row(u).reduce((s, z, k) => s + (z * e[k]) / rms, 0));
    const logZ = Math.log(logits.reduce((s, z) => s + Math.exp(z), 0));
    expected += (logZ - logits[batch.y[i]]) / batch.x.length;
  });
  const loss = await gptForward(w, values, batch);
  assert.ok(Math.abs(loss - expected) < 1e-9, `graph ${loss} vs formula ${expected}`);
  assert.ok(loss > Math.log(v) + 1, "the self-prediction makes the initial loss exceed ln(vocab)");
});

for (
  const overrides of [
    {},
    { whiten: "trainable", reduction: "sum", labelSmoothing: 0.2 },
    { input: [3, 12, 10], whitenSeed: 7, labelSmoothing: 0.1, logitScale: 0.5 },
  ]
) {
  Deno.test(`cnn: forward ${JSON.stringify(overrides)} matches a float64 JS reference (loss and correct)`, async () => {
    const w = makeWorkload("cnn-tiny", {
      input: [2, 10, 10],
      widths: [3, 4, 4],
      classes: 5,
      batch: 3,
      ...overrides,
    });
    const c = w.config as CnnConfig;
    const rng = new Rng(41);
    const values = paramValues(w, rng, 0.3);
    const batch = randomBatch(w, rng);
    const whiten = values["whiten.weight"] ?? whiteningKernel(c.input[0], new Rng(c.whitenSeed));
    const expected = cnnReference(c, values, whiten, batch.x, batch.y);
    const program = await compile(w, "float32", false);
    try {
      const out = await program.runToHost({ ...asDtype(values, "float32"), ...batch });
      assert.ok(
        Math.abs(Number(out.loss[0]) - expected.loss) < 1e-5 * expected.loss,
        `graph ${out.loss[0]} vs reference ${expected.loss}`,
      );
      assert.equal(Number(out.correct[0]), expected.correct);
    } finally {
      await program.release();
    }
  });
}

Deno.test("cnn: when every logit ties (a zero head), only targets of the first class count as correct", async () => {
  const w = makeWorkload("cnn-tiny", { input: [2, 10, 10], widths: [3, 4, 4], classes: 5, batch: 8 });
  const rng = new Rng(43);
  const values = paramValues(w, rng, 0.3);
  values["head.weight"] = new Float64Array(values["head.weight"].length);
  const batch = randomBatch(w, rng);
  batch.y.set([0, 3, 0, 1, 4, 0, 2, 2]);
  const program = await compile(w, "float32", false);
  try {
    const out = await program.runToHost({ ...asDtype(values, "float32"), ...batch });
    assert.equal(Number(out.correct[0]), 3, "argmax of tied logits is class 0, the target of 3 samples");
  } finally {
    await program.release();
  }
});

// ---------------------------------------------------------------------------------------------- gradients

/**
 * Finite differences on sampled coordinates of every parameter (the helper checks each input in `wrt`).
 * The GPT runs in float64 (ORT's CPU kernels support every op it uses): tight tolerances. Conv has float32
 * kernels only, and with max-pooling kinks and float32 round-off the CNN needs eps 1e-3 and 5%.
 */
const gradCases: [string, Record<string, unknown>, Parameters<typeof checkGradients>[2]][] = [
  ["nanogpt-tiny", { batch: 2, context: 8 }, { dtype: "float64" }],
  ["nanogpt-tiny", { batch: 2, context: 8, bias: true, tied: false }, { dtype: "float64" }],
  ["nanogpt-tiny-modded", { batch: 2, context: 8 }, { dtype: "float64" }],
  ["cnn-tiny", { batch: 4 }, { dtype: "float32", eps: 1e-3, rtol: 5e-2, atol: 1e-3 }],
  ["cnn-tiny", { batch: 4, whiten: "trainable", labelSmoothing: 0.2 }, {
    dtype: "float32",
    eps: 1e-3,
    rtol: 5e-2,
    atol: 1e-3,
  }],
];

for (const [name, overrides, options] of gradCases) {
  Deno.test(`gradients: ${name} ${JSON.stringify(overrides)}, every parameter, against finite differences`, async () => {
    const w = makeWorkload(name, overrides);
    const rng = new Rng(51);
    const feeds = { ...asDtype(paramValues(w, rng, 0.1), options!.dtype!), ...randomBatch(w, rng) };
    await checkGradients(`${name} ${JSON.stringify(overrides)}`, (g) => {
      const { params, batch } = declare(g, w);
      return { loss: w.buildLoss(g, params, batch).loss, wrt: w.params.map((p) => params[p.name]) };
    }, { ...options, feeds, samples: 3, seed: 52 });
  });
}

// ---------------------------------------------------------------------------------------------- training

/** Adam (bias-corrected, beta 0.9 / 0.999) on the host: the loss after each of `steps` updates of one fixed batch. */
async function overfit(
  w: Workload,
  lr: number,
  steps: number,
): Promise<{ losses: number[]; correct?: number }> {
  const program = await compile(w, "float32", true);
  const rng = new Rng(61);
  const params = Object.fromEntries(w.params.map((p) => [p.name, p.init(rng)]));
  const batch = randomBatch(w, rng);
  const moments = w.params.map((p) => ({
    m: new Float32Array(params[p.name].length),
    v: new Float32Array(params[p.name].length),
  }));
  const losses: number[] = [];
  let correct: number | undefined;
  try {
    for (let t = 1; t <= steps + 1; t++) {
      const out = await program.runToHost({ ...params, ...batch });
      losses.push(Number(out.loss[0]));
      correct = out.correct && Number(out.correct[0]);
      if (t > steps) break;
      w.params.forEach((p, i) => {
        const [x, g, { m, v }] = [params[p.name], out[`grad/${p.name}`] as Float32Array, moments[i]];
        for (let j = 0; j < x.length; j++) {
          m[j] = 0.9 * m[j] + 0.1 * g[j];
          v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
          x[j] -= (lr * m[j] / (1 - 0.9 ** t)) / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8);
        }
      });
    }
  } finally {
    await program.release();
  }
  return { losses, correct };
}

for (const name of ["nanogpt-tiny", "nanogpt-tiny-modded"]) {
  Deno.test(`training: Adam drives ${name} to near-zero loss on one batch of random tokens`, async () => {
    const { losses } = await overfit(makeWorkload(name, { batch: 4, context: 32 }), 3e-3, 100);
    assert.ok(losses.at(-1)! < 0.05, `loss ${losses[0]} -> ${losses.at(-1)}`);
  });
}

Deno.test("training: Adam fits cnn-tiny to one batch of 64 random images with random labels", async () => {
  const w = makeWorkload("cnn-tiny");
  const { losses, correct } = await overfit(w, 3e-2, 100);
  assert.ok(losses[0] > 2 && losses.at(-1)! < 0.1, `loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.equal(correct, 64);
});

// ---------------------------------------------------------------------------------------------- bad input

Deno.test("buildLoss: a missing or misshapen tensor is named in the error", () => {
  const w = makeWorkload("nanogpt-tiny", { layers: 1 });
  const g = new Graph();
  const { params, batch } = declare(g, w);
  assert.throws(
    () => w.buildLoss(g, { ...params, wpe: undefined! }, batch),
    /nanogpt-tiny: missing parameter "wpe" \(shape \[64, 128\]\)/,
  );
  const wrongBatch = { ...batch, y: g.input("y2", [12, 64]) };
  assert.throws(
    () => w.buildLoss(g, params, wrongBatch),
    /batch input "y" is float32 \[12, 64\], expected int32 \[12, 64\]/,
  );
});
