/**
 * Plain-JS float64 forward passes of the NanoGPT and CifarNet workloads, written loop by loop from the
 * reference PyTorch code (not from src/models), so the graph builders can be checked against them.
 */
import type { CnnConfig, GptConfig } from "../../src/models/mod.ts";

/** Parameter values by name. */
export type Values = Record<string, ArrayLike<number>>;

type Vec = number[];

/** w [out, in] times v, plus the bias `bias` when given. */
function matVec(w: ArrayLike<number>, v: Vec, bias?: ArrayLike<number>): Vec {
  const n = v.length;
  const out = w.length / n;
  const r: Vec = [];
  for (let o = 0; o < out; o++) {
    let s = bias ? bias[o] : 0;
    for (let i = 0; i < n; i++) s += w[o * n + i] * v[i];
    r.push(s);
  }
  return r;
}

const addVec = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]);
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function rmsNormVec(v: Vec, eps: number): Vec {
  const ms = v.reduce((s, x) => s + x * x, 0) / v.length;
  return v.map((x) => x / Math.sqrt(ms + eps));
}

function layerNormVec(v: Vec, gain: ArrayLike<number>, bias: ArrayLike<number> | undefined): Vec {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
  return v.map((x, i) => ((x - mean) / Math.sqrt(variance + 1e-5)) * gain[i] + (bias ? bias[i] : 0));
}

/** -log softmax(logits)[target] and the mean over classes of -log softmax(logits). */
function crossEntropy(logits: Vec, target: number): { nll: number; uniform: number } {
  const max = Math.max(...logits);
  const logZ = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
  return { nll: logZ - logits[target], uniform: logits.reduce((s, z) => s + logZ - z, 0) / logits.length };
}

/** modded-nanogpt's rotary embedding of one head vector at position t. */
function rotate(v: Vec, t: number): Vec {
  const half = v.length / 2;
  const out = v.slice();
  for (let j = 0; j < half; j++) {
    const angle = t / 10000 ** ((2 * j) / v.length);
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    out[j] = v[j] * c + v[j + half] * s;
    out[j + half] = v[j + half] * c - v[j] * s;
  }
  return out;
}

/** Mean next-token cross-entropy of the GPT on tokens x and targets y (both [batch * context], row-major). */
export function gptReferenceLoss(
  c: GptConfig,
  p: Values,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): number {
  const d = c.width;
  const hd = d / c.heads;
  const modded = c.flavour === "modded";
  const eps = 2 ** -23;
  const row = (name: string, i: number) => Array.from(p[name] as ArrayLike<number>).slice(i * d, (i + 1) * d);
  const norm = (
    v: Vec,
    name: string,
  ) => (modded ? rmsNormVec(v, eps) : layerNormVec(v, p[`${name}.weight`], p[`${name}.bias`]));
  const dense = (v: Vec, name: string) => matVec(p[name], v, p[`${name}.bias`]);
  let total = 0;
  for (let s = 0; s < c.batch; s++) {
    const tokens = Array.from({ length: c.context }, (_, t) => x[s * c.context + t]);
    let h = tokens.map((tok, t) => (modded ? row("wte", tok) : addVec(row("wte", tok), row("wpe", t))));
    for (let l = 0; l < c.layers; l++) {
      const a = h.map((v) => norm(v, `h.${l}.ln_1`));
      const heads = (name: string, t: number) => {
        const full = dense(a[t], `h.${l}.attn.${name}`);
        return Array.from({ length: c.heads }, (_, j) => {
          const part = full.slice(j * hd, (j + 1) * hd);
          return modded && name !== "c_v" ? rotate(rmsNormVec(part, eps), t) : part;
        });
      };
      const q = h.map((_, t) => heads("c_q", t));
      const k = h.map((_, t) => heads("c_k", t));
      const v = h.map((_, t) => heads("c_v", t));
      const attended = h.map((_, t) => {
        const out: Vec = [];
        for (let j = 0; j < c.heads; j++) {
          const scores = Array.from(
            { length: t + 1 },
            (_, u) => q[t][j].reduce((acc, qi, i) => acc + qi * k[u][j][i], 0) / Math.sqrt(hd),
          );
          const max = Math.max(...scores);
          const weights = scores.map((z) => Math.exp(z - max));
          const z = weights.reduce((acc, w) => acc + w, 0);
          for (let i = 0; i < hd; i++) out.push(weights.reduce((acc, w, u) => acc + (w / z) * v[u][j][i], 0));
        }
        return out;
      });
      h = h.map((vec, t) => addVec(vec, dense(attended[t], `h.${l}.attn.c_proj`)));
      h = h.map((vec) => {
        const hidden = dense(norm(vec, `h.${l}.ln_2`), `h.${l}.mlp.c_fc`);
        const act = hidden.map((z) => (modded ? (Math.SQRT2 * Math.max(z, 0)) ** 2 : geluTanh(z)));
        return addVec(vec, dense(act, `h.${l}.mlp.c_proj`));
      });
    }
    h.forEach((vec, t) => {
      const logits = matVec(c.tied ? p.wte : p.lm_head, norm(vec, "ln_f"));
      total += crossEntropy(logits, y[s * c.context + t]).nll;
    });
  }
  return total / (c.batch * c.context);
}

/** A batch of feature maps: maps[n][channel] is a height x width array of rows. */
type Maps = number[][][][];

function conv(
  xs: Maps,
  w: ArrayLike<number>,
  cOut: number,
  k: number,
  pad: number,
  bias?: ArrayLike<number>,
): Maps {
  return xs.map((x) => {
    const cIn = x.length;
    const hOut = x[0].length + 2 * pad - k + 1;
    const wOut = x[0][0].length + 2 * pad - k + 1;
    const at = (c: number, i: number, j: number) => x[c][i]?.[j] ?? 0;
    return Array.from(
      { length: cOut },
      (_, o) =>
        Array.from({ length: hOut }, (_, i) =>
          Array.from({ length: wOut }, (_, j) => {
            let s = bias ? bias[o] : 0;
            for (let c = 0; c < cIn; c++) {
              for (let a = 0; a < k; a++) {
                for (let b = 0; b < k; b++) {
                  s += w[((o * cIn + c) * k + a) * k + b] * at(c, i + a - pad, j + b - pad);
                }
              }
            }
            return s;
          })),
    );
  });
}

const pool2 = (xs: Maps): Maps =>
  xs.map((x) =>
    x.map((m) =>
      Array.from(
        { length: Math.floor(m.length / 2) },
        (_, i) =>
          Array.from({ length: Math.floor(m[0].length / 2) }, (_, j) =>
            Math.max(m[2 * i][2 * j], m[2 * i][2 * j + 1], m[2 * i + 1][2 * j], m[2 * i + 1][2 * j + 1])),
      )
    )
  );

function batchNormGelu(xs: Maps, bias: ArrayLike<number>): Maps {
  const stats = xs[0].map((_, c) => {
    const values = xs.flatMap((x) => x[c].flat());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    return { mean, std: Math.sqrt(variance + 1e-12) };
  });
  return xs.map((x) =>
    x.map((m, c) => m.map((r) => r.map((v) => geluTanh((v - stats[c].mean) / stats[c].std + bias[c]))))
  );
}

/** Loss (with the configured smoothing and reduction) and number of correct argmax predictions of the CNN. */
export function cnnReference(
  c: CnnConfig,
  p: Values,
  whiten: ArrayLike<number>,
  images: ArrayLike<number>,
  labels: ArrayLike<number>,
): { loss: number; correct: number } {
  const [channels, height, width] = c.input;
  let xs: Maps = Array.from(
    { length: c.batch },
    (_, n) =>
      Array.from(
        { length: channels },
        (_, ch) =>
          Array.from({ length: height }, (_, i) =>
            Array.from({ length: width }, (_, j) =>
              images[((n * channels + ch) * height + i) * width + j])),
      ),
  );
  xs = conv(xs, whiten, 8 * channels, 2, 0, p["whiten.bias"]).map((x) =>
    x.map((m) => m.map((r) => r.map(geluTanh)))
  );
  for (const [g, cOut] of c.widths.entries()) {
    const group = `layers.${g + 1}`;
    xs = batchNormGelu(pool2(conv(xs, p[`${group}.conv1`], cOut, 3, 1)), p[`${group}.norm1.bias`]);
    xs = batchNormGelu(conv(xs, p[`${group}.conv2`], cOut, 3, 1), p[`${group}.norm2.bias`]);
  }
  let loss = 0;
  let correct = 0;
  xs.forEach((x, n) => {
    const features = x.map((m) => Math.max(...m.flat()));
    const logits = matVec(p["head.weight"], features).map((z) => z * c.logitScale);
    const { nll, uniform } = crossEntropy(logits, labels[n]);
    loss += (1 - c.labelSmoothing) * nll + c.labelSmoothing * uniform;
    if (logits.indexOf(Math.max(...logits)) === labels[n]) correct++;
  });
  return { loss: c.reduction === "sum" ? loss : loss / c.batch, correct };
}
