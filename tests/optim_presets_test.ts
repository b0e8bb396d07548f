/**
 * The named optimizers of src/optim: the first three steps of every preset on small random parameters
 * and gradients (update graphs run in float64 on native) against independent float64 implementations
 * written here from the formulas of research/papers.md §A (and the reference code they cite); plus
 * Momo's bounds, the stale nuclear norm, overrides, routing, schedules, fit files and user modules.
 */
import assert from "node:assert/strict";
import type { ParamSpec, Role } from "../src/contracts/params.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { Rng } from "../src/trace/seeds.ts";
import {
  describe,
  formatRoutingTable,
  loadOptimizerModule,
  makeOptimizer,
  type Optimizer,
  type OptionValue,
  presetNames,
  scheduleFactor,
} from "../src/optim/mod.ts";
import { UpdateStepper } from "../src/train/update_stepper.ts";
import { dot, type Mat, mat, newtonSchulz5, polarExpress } from "./helpers/linalg.ts";

const spec = (name: string, shape: number[], role: Role): ParamSpec => ({
  name,
  shape,
  role,
  init: () => new Float32Array(0),
});

/** A tiny model: an embedding, four hidden matrices (two shape groups for batching), vectors and a head. */
const SPECS: ParamSpec[] = [
  spec("wte", [7, 4], "embedding"),
  spec("h.0.attn.c_q", [4, 4], "hidden"),
  spec("h.0.attn.c_k", [4, 4], "hidden"),
  spec("h.0.mlp.c_fc", [6, 4], "hidden"),
  spec("h.0.mlp.c_proj", [4, 6], "hidden"),
  spec("h.0.attn.bias", [5], "bias"),
  spec("h.0.ln.gain", [4], "gain"),
  spec("lm_head", [7, 4], "head"),
];
const TOTAL = 4;
const STEPS = 3;
const LOSSES = [3.31, 3.27, 3.24];

type Vecs = Record<string, Float64Array>;
const size = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);
const isBody = (s: ParamSpec) => s.role === "hidden" || s.role === "conv";
const asMat = (s: ParamSpec, data: Float64Array): Mat => mat(s.shape[0], size(s) / s.shape[0], data);
const map = (f: (...xs: number[]) => number, ...arrays: Float64Array[]) =>
  arrays[0].map((_, i) => f(...arrays.map((a) => a[i])));
const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
const l2 = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));

function randomVecs(rng: Rng): Vecs {
  return Object.fromEntries(
    SPECS.map((s) => [s.name, Float64Array.from({ length: size(s) }, () => rng.normal())]),
  );
}

/** GPT-opt's constant-linear: 1 before floor(start T), then max(floor, 1 - (k - n0) / (T - n0)). */
const constantLinear = (k: number, start = 0.4, floor = 0.1) => {
  const n0 = Math.floor(start * TOTAL);
  return k < n0 ? 1 : Math.max(floor, 1 - (k - n0) / (TOTAL - n0));
};

/** torch clip_grad_norm_: every gradient times min(1, c / (||g|| + 1e-6)). */
function clip(g: Vecs, c: number): Vecs {
  const total = Math.sqrt(sum(SPECS.map((s) => dot(g[s.name], g[s.name]))));
  const coef = Math.min(1, c / (total + 1e-6));
  return Object.fromEntries(SPECS.map((s) => [s.name, g[s.name].map((v) => v * coef)]));
}

/** A reference step: the next parameters and, for Momo, the step size tau and the global dual norm. */
type RefStep = (k: number, x: Vecs, g: Vecs, loss: number) => { x: Vecs; tau?: number; globalDual?: number };

/** Per-parameter state of a reference, zeros until first written. */
class Slots {
  #m = new Map<string, Float64Array>();
  get(key: string, n: number): Float64Array {
    return this.#m.get(key) ?? new Float64Array(n);
  }
  set(key: string, v: Float64Array): Float64Array {
    this.#m.set(key, v);
    return v;
  }
}

/** buf <- b buf + (1 - b) g, set to g at step 0 when `first` (GPT-opt), else from zeros. */
function ema(slots: Slots, key: string, g: Float64Array, b: number, k: number, first: boolean): Float64Array {
  const prev = slots.get(key, g.length);
  return slots.set(key, first && k === 0 ? g.slice() : map((m, gi) => b * m + (1 - b) * gi, prev, g));
}

/** GPT-opt's Adam moments: (g, g^2) at step 0, then lerps with (b1, b2); no bias correction. */
function gptOptAdam(
  slots: Slots,
  name: string,
  g: Float64Array,
  k: number,
): { m: Float64Array; v: Float64Array } {
  const m = ema(slots, `${name}/m`, g, 0.95, k, true);
  const v = ema(slots, `${name}/v`, g.map((x) => x * x), 0.95, k, true);
  return { m, v };
}

const adamDirection = (m: Float64Array, v: Float64Array, eps: number) =>
  map((mi, vi) => mi / (Math.sqrt(vi) + eps), m, v);
const polarOf = (s: ParamSpec, d: Float64Array, pe: boolean) =>
  (pe ? polarExpress(asMat(s, d)) : newtonSchulz5(asMat(s, d))).data;

/** Scion's LMOs (scion.py@f58a393) for this model's roles, radius excluded. */
function scionLmo(s: ParamSpec, d: Float64Array): Float64Array {
  const [rows, cols] = [s.shape[0], s.shape[1]];
  switch (s.role) {
    case "hidden":
      return polarOf(s, d, false).map((v) => v * Math.sqrt(rows / cols));
    case "embedding": // ColNorm(transpose=True): each row of [vocab, d] over its RMS across d
      return d.map((v, i) => {
        const r = Math.floor(i / cols);
        const rms = l2(d.subarray(r * cols, (r + 1) * cols)) / Math.sqrt(cols);
        return v / (rms + 1e-8);
      });
    case "head": // Sign, normalized: sign / d_in
      return d.map((v) => Math.sign(v) / cols);
    default: // BiasRMS
      return d.map((v) => v / (l2(d) / Math.sqrt(d.length) + 1e-8));
  }
}

/** Scion's dual norms of the same (closed forms; the hidden one as the authors compute it, with NS5). */
function scionDual(s: ParamSpec, d: Float64Array): number {
  const [rows, cols] = [s.shape[0], s.shape[1]];
  switch (s.role) {
    case "hidden":
      return Math.sqrt(rows / cols) * dot(polarOf(s, d, false), d);
    case "embedding":
      return Math.sqrt(cols) *
        sum(Array.from({ length: rows }, (_, r) => l2(d.subarray(r * cols, (r + 1) * cols))));
    case "head":
      return sum(Array.from(d, Math.abs)) / cols;
    default:
      return Math.sqrt(d.length) * l2(d);
  }
}

const SCION_RADIUS: Record<string, number> = { hidden: 50, embedding: 50, head: 3000, bias: 50, gain: 50 };
const L1_DEFAULT: Record<string, number> = {
  hidden: 70,
  embedding: 1.33,
  head: 1.33,
  bias: 3.98,
  gain: 3.98,
};

/** MuonAdam / MuonMax / PolarGrad / their Momo variants, from GPT-opt's {muonadam,muonmax}_momo.py and NESGD. */
function gptOptFamily(
  kind: "muon-adam" | "muonmax" | "polargrad" | "scion-momo",
  fstar: number | null,
  stale: boolean,
): RefStep {
  const slots = new Slots();
  let lossModel = 0;
  return (k, x, rawG, loss) => {
    const g = clip(rawG, 1);
    const eta = 1e-3 * constantLinear(k);
    const s = kind === "polargrad" ? 1 : 10; // muon_lr_scale (MuonMax: s^2 = 10)
    const dir: Vecs = {};
    const adam: Record<string, { m: Float64Array; v: Float64Array }> = {};
    const polar: Vecs = {};
    const nuc: Record<string, number> = {};
    for (const p of SPECS) {
      if (isBody(p) || kind === "scion-momo") {
        dir[p.name] = ema(slots, `${p.name}/buf`, g[p.name], 0.95, k, true);
      } else dir[p.name] = (adam[p.name] = gptOptAdam(slots, p.name, g[p.name], k)).m;
      if (isBody(p)) {
        polar[p.name] = polarOf(p, dir[p.name], true);
        const exact = dot(dir[p.name], polar[p.name]);
        nuc[p.name] = stale && k > 0 ? slots.get(`${p.name}/nuc`, 1)[0] : exact;
        slots.set(`${p.name}/nuc`, Float64Array.of(exact));
      }
    }
    const body = SPECS.filter(isBody);
    const rest = SPECS.filter((p) => !isBody(p));
    const N = sum(body.map((p) => nuc[p.name]));
    const eps = 1e-8;
    // Global dual norms: MuonAdam s N + sum ||m |m| / (sqrt v + eps)||_1; MuonMax sqrt(s^2 N^2 + sum m^2 / (sqrt v + eps)).
    const restDual = kind === "scion-momo"
      ? sum(rest.map((p) => sum(Array.from(dir[p.name], Math.abs))))
      : kind === "muon-adam"
      ? sum(rest.map((p) =>
        sum(map((m, v) => Math.abs(m * Math.abs(m) / (Math.sqrt(v) + eps)), adam[p.name].m, adam[p.name].v))
      ))
      : sum(rest.map((p) =>
        sum(map(
          (m, v) =>
            (m * m) / (Math.sqrt(v) + eps),
          adam[p.name].m,
          adam[p.name].v,
        ))
      ));
    const regularised = kind === "muonmax" || kind === "polargrad";
    const globalDual = regularised ? Math.sqrt(s * N * N + restDual) : s * N + restDual;
    let tau = eta;
    if (fstar !== null) {
      const sample = loss - sum(SPECS.map((p) => dot(x[p.name], g[p.name])));
      lossModel = k === 0 ? sample : 0.95 * lossModel + 0.05 * sample;
      const h = lossModel - fstar + sum(SPECS.map((p) => dot(x[p.name], dir[p.name])));
      tau = Math.min(eta, regularised ? h / globalDual ** 2 : h / globalDual);
    }
    const next: Vecs = {};
    for (const p of SPECS) {
      const decayed = x[p.name].map((v) => v * (1 - eta * 0.1));
      let step: Float64Array;
      if (isBody(p)) {
        const mult = kind === "muonmax" ? s * N : kind === "polargrad" ? nuc[p.name] : s;
        step = polar[p.name].map((v) => v * mult);
      } else if (kind === "scion-momo") step = dir[p.name].map(Math.sign);
      else step = adamDirection(adam[p.name].m, adam[p.name].v, eps);
      next[p.name] = map((xv, u) => xv - tau * u, decayed, step);
    }
    return { x: next, tau, globalDual };
  };
}

/** The independent reference of each preset (the test's overrides noted where used). */
function reference(name: string, fstar: number | null): RefStep {
  const slots = new Slots();
  switch (name) {
    case "sgdm": // torch SGD, momentum 0.9, dampening 0; clip 1; constant-linear
      return (k, x, rawG) => {
        const g = clip(rawG, 1);
        const eta = 0.1 * constantLinear(k);
        const next: Vecs = {};
        for (const p of SPECS) {
          const buf = slots.set(p.name, map((b, gi) => 0.9 * b + gi, slots.get(p.name, size(p)), g[p.name]));
          next[p.name] = map((xv, b) => xv - eta * b, x[p.name], buf);
        }
        return { x: next };
      };
    case "adamw": // torch AdamW (0.9, 0.999, 1e-8), wd 0.1, clip 1, constant-linear
      return (k, x, rawG) => {
        const g = clip(rawG, 1);
        const eta = 1e-3 * constantLinear(k);
        const t = k + 1;
        const next: Vecs = {};
        for (const p of SPECS) {
          const m = ema(slots, `${p.name}/m`, g[p.name], 0.9, k, false);
          const v = ema(slots, `${p.name}/v`, g[p.name].map((z) => z * z), 0.999, k, false);
          const update = map(
            (mi, vi) => (mi / (1 - 0.9 ** t)) / (Math.sqrt(vi / (1 - 0.999 ** t)) + 1e-8),
            m,
            v,
          );
          next[p.name] = map((xv, u) => xv * (1 - eta * 0.1) - eta * u, x[p.name], update);
        }
        return { x: next };
      };
    case "muon": // muon.py MuonWithAuxAdam: Nesterov lerps, NS5, sqrt(max(1, rows/cols)); Adam lr 3e-4
      return (k, x, g) => {
        const next: Vecs = {};
        for (const p of SPECS) {
          if (isBody(p)) {
            const mom = ema(slots, p.name, g[p.name], 0.95, k, false);
            const u = map((gi, mi) => gi + 0.95 * (mi - gi), g[p.name], mom);
            const scale = Math.sqrt(Math.max(1, p.shape[0] / p.shape[1]));
            next[p.name] = map((xv, o) => xv - 0.02 * scale * o, x[p.name], polarOf(p, u, false));
          } else {
            const m = ema(slots, `${p.name}/m`, g[p.name], 0.9, k, false);
            const v = ema(slots, `${p.name}/v`, g[p.name].map((z) => z * z), 0.95, k, false);
            const t = k + 1;
            const update = map(
              (mi, vi) => (mi / (1 - 0.9 ** t)) / (Math.sqrt(vi / (1 - 0.95 ** t)) + 1e-10),
              m,
              v,
            );
            next[p.name] = map((xv, u) => xv - 3e-4 * u, x[p.name], update);
          }
        }
        return { x: next };
      };
    case "muon-adam":
      return gptOptFamily("muon-adam", null, false);
    case "muon-adam-momo":
      return gptOptFamily("muon-adam", fstar, true);
    case "muonmax":
      return gptOptFamily("muonmax", null, true);
    case "muonmax-momo":
      return gptOptFamily("muonmax", fstar, true);
    case "polargrad":
      return gptOptFamily("polargrad", null, false);
    case "scion-momo":
      return gptOptFamily("scion-momo", fstar, false);
    case "scion":
    case "uscion": // scion.py: buf <- (1 - 0.1) buf + 0.1 g; W <- (1 - lr) W - lr rho lmo(buf) (constrained)
      return (k, x, g) => {
        const lr = 0.00036 * (name === "scion" ? constantLinear(k, 1 - 1450 / 5100, 0) : 1);
        const next: Vecs = {};
        for (const p of SPECS) {
          const buf = slots.set(
            p.name,
            map((b, gi) => 0.9 * b + 0.1 * gi, slots.get(p.name, size(p)), g[p.name]),
          );
          const keep = name === "scion" ? 1 - lr : 1;
          next[p.name] = map(
            (xv, u) => keep * xv - lr * SCION_RADIUS[p.role] * u,
            x[p.name],
            scionLmo(p, buf),
          );
        }
        return { x: next };
      };
    case "gluon": // X_i <- X_i - t_i lmo_i(g_i), t_i = ||g_i||* / (L0 + L1 ||g_i||*); test sets L0 = 0.1
      return (_k, x, g) => {
        const next: Vecs = {};
        for (const p of SPECS) {
          const dual = scionDual(p, g[p.name]);
          const t = dual / (0.1 + L1_DEFAULT[p.role] * dual);
          next[p.name] = map((xv, u) => xv - t * u, x[p.name], scionLmo(p, g[p.name]));
        }
        return { x: next };
      };
    default:
      throw new Error(`no reference for ${name}`);
  }
}

/** Overrides the step tests use: Gluon with L0 > 0 so the radius depends on the gradient. */
const TEST_OVERRIDES: Record<string, Record<string, OptionValue>> = { gluon: { L0: 0.1 } };

/** F_* that truncates Momo's first step to lr / 2: at step 0 the buffers equal the gradient, so h = loss - F_*. */
function halfwayFstar(name: string, x: Vecs, g: Vecs): number {
  const d0 = reference(name, null)(0, x, g, LOSSES[0]).globalDual!;
  const eta0 = 1e-3 * constantLinear(0);
  return LOSSES[0] - 0.5 * eta0 * (name === "muonmax-momo" ? d0 * d0 : d0);
}

async function stepper(opt: Optimizer) {
  return await UpdateStepper.create(await openBackend("native", { threads: 1 }), opt, SPECS, {
    dtype: "float64",
  });
}

for (const name of presetNames()) {
  Deno.test(`preset ${name}: first three steps match an independent float64 implementation (rtol 1e-5)`, async () => {
    const rng = new Rng(7);
    const x0 = randomVecs(rng);
    const grads = Array.from({ length: STEPS }, () => randomVecs(rng));
    const momo = name.endsWith("-momo");
    const fstar = momo ? halfwayFstar(name, x0, grads[0]) : null;
    const overrides = { ...TEST_OVERRIDES[name], ...(fstar !== null && { fstar }) };
    const opt = makeOptimizer(name, overrides);
    const run = await stepper(opt);
    const ref = reference(name, fstar);
    let [ours, theirs] = [x0, x0];
    try {
      for (let k = 0; k < STEPS; k++) {
        const out = await run.step(ours, grads[k], { lr: opt.lrAt(k, TOTAL), step: k, loss: LOSSES[k] });
        const expected = ref(k, theirs, grads[k], LOSSES[k]);
        for (const p of SPECS) {
          const got = out.params[p.name] as Float64Array;
          const want = expected.x[p.name].map((v, i) => v - theirs[p.name][i]);
          const delta = got.map((v, i) => v - ours[p.name][i]);
          const scale = Math.max(...want.map(Math.abs));
          const err = Math.max(...delta.map((v, i) => Math.abs(v - want[i])));
          assert.ok(err <= 1e-5 * scale, `${name} step ${k} ${p.name}: update error ${err} vs size ${scale}`);
        }
        if (momo) {
          assert.ok(
            Math.abs(out.scalars.momo_tau - expected.tau!) <= 1e-5 * Math.abs(expected.tau!),
            `${name} step ${k} tau ${out.scalars.momo_tau} vs ${expected.tau}`,
          );
          if (k === 0) {
            assert.ok(
              Math.abs(expected.tau! / opt.lrAt(0, TOTAL) - 0.5) < 1e-6,
              "step 0 is truncated to lr / 2",
            );
          }
        }
        [ours, theirs] = [out.params as Vecs, expected.x];
      }
    } finally {
      await run.release();
    }
  });
}

Deno.test("Momo's tau never exceeds lr, whatever the loss and F_*", async () => {
  const rng = new Rng(11);
  for (const name of ["muon-adam-momo", "muonmax-momo", "scion-momo"]) {
    for (const fstar of [-5, 0, 3.2, 10]) {
      const opt = makeOptimizer(name, { fstar });
      const run = await stepper(opt);
      let x = randomVecs(rng);
      for (let k = 0; k < 4; k++) {
        const lr = opt.lrAt(k, TOTAL);
        const out = await run.step(x, randomVecs(rng), { lr, step: k, loss: 3 + 2 * rng.normal() });
        assert.ok(
          out.scalars.momo_tau <= lr,
          `${name} F*=${fstar} step ${k}: tau ${out.scalars.momo_tau} > lr ${lr}`,
        );
        x = out.params as Vecs;
      }
      await run.release();
    }
  }
});

Deno.test("stale and exact nuclear norms agree at the first step, and differ after it", async () => {
  const rng = new Rng(5);
  const x = randomVecs(rng);
  const g = [randomVecs(rng), randomVecs(rng)];
  const results = [];
  for (const nuc of ["stale", "exact"]) {
    const run = await stepper(makeOptimizer("muonmax", { nuc }));
    const first = await run.step(x, g[0], { lr: 1e-3, step: 0 });
    const second = await run.step(first.params, g[1], { lr: 1e-3, step: 1 });
    results.push({ first, second });
    await run.release();
  }
  const [stale, exact] = results;
  for (const p of SPECS) {
    assert.deepEqual(stale.first.params[p.name], exact.first.params[p.name], `${p.name} at step 0`);
  }
  assert.notDeepEqual(stale.second.params["h.0.attn.c_q"], exact.second.params["h.0.attn.c_q"]);
});

Deno.test("diagnostics: the radius is the step length in the layer norm, and updatePrimal equals it without decay", async () => {
  const rng = new Rng(9);
  const run = await stepper(makeOptimizer("uscion", { diag: "full" }));
  const out = await run.step(randomVecs(rng), randomVecs(rng), { lr: 0.00036, step: 0 });
  await run.release();
  for (const p of SPECS.filter((s) => !isBody(s))) {
    const d = out.layers[p.name];
    assert.ok(Math.abs(d.radius - 0.00036 * SCION_RADIUS[p.role]) < 1e-15, `${p.name} radius`);
    assert.ok(
      Math.abs(d.updatePrimal - d.radius) < 1e-6 * d.radius,
      `${p.name}: primal ${d.updatePrimal} vs radius ${d.radius}`,
    );
    // At step 0 the buffer is 0.1 g, so the momentum's dual norm is 0.1 times the gradient's.
    // (ColNorm's and BiasRMS's 1e-8 guards perturb the pairing by ~1e-7 relative at this scale.)
    assert.ok(Math.abs(d.momentumDual - 0.1 * d.gradDual) < 1e-6 * d.gradDual, `${p.name} duals`);
  }
  const hidden = out.layers["h.0.attn.c_q"];
  assert.ok(
    Math.abs(hidden.momentumDual - 0.1 * hidden.gradDual) < 1e-6 * hidden.gradDual,
    "spectral duals with diag full",
  );
});

Deno.test("cheap diagnostics leave the gradient dual of spectral layers with momentum as NaN", async () => {
  const rng = new Rng(3);
  const run = await stepper(makeOptimizer("muon-adam"));
  const out = await run.step(randomVecs(rng), randomVecs(rng), { lr: 1e-3, step: 0 });
  await run.release();
  assert.ok(Number.isNaN(out.layers["h.0.attn.c_q"].gradDual));
  assert.ok(Number.isFinite(out.layers["lm_head"].gradDual) && out.layers["lm_head"].gradDual > 0);
});

Deno.test("a layer with a zero gradient gets a finite (zero-direction) update under every preset", async () => {
  const rng = new Rng(13);
  const x = randomVecs(rng);
  const g = randomVecs(rng);
  g["h.0.mlp.c_fc"].fill(0);
  g["h.0.attn.bias"].fill(0);
  for (const name of presetNames()) {
    const run = await stepper(makeOptimizer(name));
    const out = await run.step(x, g, { lr: 1e-3, step: 0, loss: 3.3 });
    await run.release();
    for (const p of SPECS) {
      assert.ok(
        (out.params[p.name] as Float64Array).every(Number.isFinite),
        `${name}: ${p.name} has non-finite values`,
      );
      const { gradDual, ...rest } = out.layers[p.name];
      assert.ok(
        Object.values(rest).every(Number.isFinite),
        `${name}: ${p.name} diagnostics ${JSON.stringify(rest)}`,
      );
      assert.ok(Number.isFinite(gradDual) || Number.isNaN(gradDual));
    }
    assert.ok(
      Object.values(out.scalars).every(Number.isFinite),
      `${name}: scalars ${JSON.stringify(out.scalars)}`,
    );
  }
});

Deno.test("overrides: lr changes, and unknown keys or bad values raise one error listing the valid keys", () => {
  const opt = makeOptimizer("muon-adam", { lr: "3e-3" });
  assert.equal(opt.hyper.lr, 3e-3);
  assert.equal(opt.lrAt(0, 100), 3e-3);
  assert.equal(makeOptimizer("muon-adam").lrAt(0, 100), 1e-3);
  assert.equal(makeOptimizer("uscion", { alpha: 0.5 }).hyper.beta, 0.5);
  assert.throws(
    () => makeOptimizer("muon-adam", { lrr: 1 }),
    (e: Error) =>
      /unknown key "lrr"/.test(e.message) && /Valid keys/.test(e.message) && /\bfstar\b/.test(e.message),
  );
  assert.throws(
    () => makeOptimizer("muon-adam", { lr: "fast" }),
    /lr must be a number > 0, got "fast"[\s\S]*Valid keys/,
  );
  assert.throws(
    () => makeOptimizer("muon-adam", { beta: 1.5, polar: "svd" }),
    /beta must be[\s\S]*polar must be one of ns5, polar_express/,
  );
  assert.throws(() => makeOptimizer("nadam"), /unknown optimizer "nadam"; presets are: sgdm, adamw, muon/);
  assert.throws(() => makeOptimizer("gluon", { fstar: 3 }), /two step rules/);
  assert.throws(() => makeOptimizer("muon", { product: "l2", radius: "gluon" }), /needs product max/);
});

/** The norm each role gets under each preset. */
const EXPECTED_NORMS: Record<string, Partial<Record<Role, string>>> = {
  sgdm: { hidden: "euclidean", embedding: "euclidean", head: "euclidean", bias: "euclidean" },
  adamw: { hidden: "adam_infty", embedding: "adam_infty", head: "adam_infty", gain: "adam_infty" },
  muon: { hidden: "spectral_scion_max", embedding: "adam_infty", head: "adam_infty", bias: "adam_infty" },
  "muon-adam": { hidden: "spectral", embedding: "adam_infty", head: "adam_infty", gain: "adam_infty" },
  scion: { hidden: "spectral_scion", embedding: "colnorm", head: "sign", bias: "bias_rms", gain: "bias_rms" },
  gluon: { hidden: "spectral_scion", embedding: "colnorm", head: "sign", bias: "bias_rms" },
  muonmax: { hidden: "spectral", embedding: "adam_2", head: "adam_2", bias: "adam_2" },
  "scion-momo": { hidden: "spectral", embedding: "linfty", head: "linfty", gain: "linfty" },
};

Deno.test("describe: one row per parameter with the norm of its role, and a printable table", () => {
  for (const [name, norms] of Object.entries(EXPECTED_NORMS)) {
    const rows = describe(makeOptimizer(name), SPECS);
    assert.deepEqual(rows.map((r) => r.param), SPECS.map((s) => s.name));
    rows.forEach((r, i) => {
      assert.deepEqual(r.shape, SPECS[i].shape);
      const want = norms[SPECS[i].role];
      if (want) assert.equal(r.norm, want, `${name}: ${r.param}`);
    });
  }
  const scion = describe(makeOptimizer("scion"), SPECS);
  assert.deepEqual(scion.map((r) => r.lrScale), [50, 50, 50, 50, 50, 50, 50, 3000]);
  assert.ok(Math.abs(describe(makeOptimizer("muonmax"), SPECS)[1].lrScale - Math.sqrt(10)) < 1e-12);
  const table = formatRoutingTable(scion);
  assert.equal(table.split("\n").length, SPECS.length + 2);
  assert.match(table, /lm_head\s+\[7, 4\]\s+head\s+sign\s+3000/);
});

Deno.test("routing rules override by name or role, and bad rules name the fix", () => {
  const rows = describe(makeOptimizer("muon-adam", { route: "lm_head=sign:3000,bias=bias_rms" }), SPECS);
  assert.deepEqual([rows[7].norm, rows[7].lrScale], ["sign", 3000]);
  assert.deepEqual([rows[5].norm, rows[5].lrScale], ["bias_rms", 1]);
  const json = describe(
    makeOptimizer("adamw", { route: '{"h.*.c_*": {"norm": "spectral", "scale": 5}}' }),
    SPECS,
  );
  assert.deepEqual(json.filter((r) => r.norm === "spectral").map((r) => r.param), [
    "h.0.attn.c_q",
    "h.0.attn.c_k",
    "h.0.mlp.c_fc",
    "h.0.mlp.c_proj",
  ]);
  assert.throws(
    () => makeOptimizer("adamw", { route: "lm_head=svd" }),
    /unknown norm "svd"; use one of: spectral/,
  );
  assert.throws(
    () => describe(makeOptimizer("adamw", { route: "lm_haed=sign" }), SPECS),
    /matches no parameter[\s\S]*lm_head/,
  );
  assert.throws(
    () => describe(makeOptimizer("adamw", { route: "bias=spectral" }), SPECS),
    /h.0.attn.bias \(shape \[5\], role bias\) cannot use norm spectral/,
  );
});

Deno.test("schedules follow their formulas", () => {
  const factor = (
    name: string,
    k: number,
    total: number,
    extra: Partial<{ warmup: number; decayStart: number; floor: number }> = {},
  ) =>
    scheduleFactor(
      { name: name as "constant", warmup: 0.1, decayStart: 0.4, floor: 0.1, ...extra },
      k,
      total,
    );
  for (let k = 0; k < 100; k++) {
    assert.equal(factor("constant", k, 100), 1);
    assert.equal(factor("constant-linear", k, 100), k < 40 ? 1 : Math.max(0.1, 1 - (k - 40) / 60));
    assert.equal(factor("gluon", k, 100), (k + 1) ** -0.75);
    assert.equal(factor("warmup", k, 100), k < 10 ? k / 10 : 1);
    const cosine = k < 10 ? k / 10 : 0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * (k - 10)) / 90));
    assert.ok(Math.abs(factor("cosine", k, 100) - cosine) < 1e-15);
  }
  assert.equal(makeOptimizer("scion").lrAt(5099, 5100), 0.00036 * (1 - (5099 - 3650) / 1450));
  assert.throws(() => factor("constant", 0, 0), /total steps must be a positive integer/);
});

Deno.test("Gluon reads (L0, L1) from a fit file by layer name; missing layers keep their role default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/fit.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify([
        { param: 3, layer: "lm_head", L0: 0, L1: 2, mse_rel: 0.01 },
        { param: "h.0.attn.c_q", L0: 0, L1: 50 },
        { layer: "not.in.this.model", L0: 0, L1: 9 },
      ]),
    );
    const run = await stepper(makeOptimizer("gluon", { fit: path }));
    const rng = new Rng(1);
    const out = await run.step(randomVecs(rng), randomVecs(rng), { lr: 1, step: 0 });
    await run.release();
    assert.ok(Math.abs(out.layers["lm_head"].radius - 0.5) < 1e-12);
    assert.ok(Math.abs(out.layers["h.0.attn.c_q"].radius - 1 / 50) < 1e-12);
    assert.ok(Math.abs(out.layers["h.0.attn.c_k"].radius - 1 / 70) < 1e-12);
    await Deno.writeTextFile(path, JSON.stringify([{ layer: "lm_head", L0: -1, L1: 2 }]));
    assert.throws(
      () => makeOptimizer("gluon", { fit: path }),
      /entry 0 \(lm_head\): L0 must be a number >= 0/,
    );
    assert.throws(() => makeOptimizer("gluon", { fit: `${dir}/missing.json` }), /cannot read fit file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a user module exporting makeOptimizer loads, and a bad one is named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mod = new URL("../src/optim/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/mine.ts`,
      `import { makeOptimizer as make } from "${mod}";\n` +
        `export function makeOptimizer(o) { return { ...make("sgdm", o), name: "mine" }; }\n`,
    );
    await Deno.writeTextFile(
      `${dir}/bad.ts`,
      `export function makeOptimizer() { return { name: "bad" }; }\n`,
    );
    const loaded = await loadOptimizerModule(`${dir}/mine.ts`);
    const opt = loaded.makeOptimizer({ lr: 0.5 });
    assert.equal(opt.name, "mine");
    assert.equal(opt.lrAt(0, 10), 0.5);
    const bad = await loadOptimizerModule(`${dir}/bad.ts`);
    assert.throws(() => bad.makeOptimizer({}), /missing hyper \(object\), route\(\), update\(\), lrAt\(\)/);
    await assert.rejects(() => loadOptimizerModule(`${dir}/none.ts`), /cannot import optimizer module/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float32 update graphs agree with float64 ones", async () => {
  const rng = new Rng(21);
  const x = randomVecs(rng);
  const g = randomVecs(rng);
  const backend = await openBackend("native", { threads: 1 });
  for (const name of ["muon", "muonmax-momo", "scion"]) {
    const opt = makeOptimizer(name);
    const f64 = await UpdateStepper.create(backend, opt, SPECS, { dtype: "float64" });
    const f32 = await UpdateStepper.create(backend, opt, SPECS, { dtype: "float32" });
    const to32 = (v: Vecs) =>
      Object.fromEntries(Object.entries(v).map(([k, a]) => [k, Float32Array.from(a)]));
    const a = await f64.step(x, g, { lr: opt.lrAt(0, TOTAL), step: 0, loss: 3.3 });
    const b = await f32.step(to32(x), to32(g), { lr: opt.lrAt(0, TOTAL), step: 0, loss: 3.3 });
    for (const p of SPECS) {
      const d64 = (a.params[p.name] as Float64Array).map((v, i) => v - x[p.name][i]);
      const d32 = Float64Array.from(
        b.params[p.name] as Float32Array,
        (v, i) => v - Math.fround(x[p.name][i]),
      );
      const scale = Math.max(...d64.map(Math.abs));
      // float32 parameters of size ~1 carry ~6e-8 absolute rounding into the difference.
      d64.forEach((v, i) =>
        assert.ok(Math.abs(v - d32[i]) <= 1e-3 * scale + 1e-6, `${name} ${p.name}[${i}]`)
      );
    }
    await f64.release();
    await f32.release();
  }
});
