/**
 * Parameter initializers, each reproducing what a reference implementation does in PyTorch. A factory
 * takes the parameter's size (or shape) and returns the `ParamSpec.init` function, which draws from the
 * seeded generator it is given.
 */
import type { Rng } from "../trace/seeds.ts";

/** Fills a parameter's initial values (float32, row-major) from a seeded generator. */
export type Initializer = (rng: Rng) => Float32Array;

/** Normal(0, std^2) entries (GPT-2 / nanoGPT use std 0.02). */
export function normalInit(size: number, std: number): Initializer {
  return (rng) => rng.normalArray(size, std);
}

/** Uniform entries in [-bound, bound). */
export function uniformInit(size: number, bound: number): Initializer {
  return (rng) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * bound;
    return out;
  };
}

/** Every entry equal to `value` (zeros for biases and zero-initialised projections, ones for gains). */
export function constantInit(size: number, value: number): Initializer {
  return () => new Float32Array(size).fill(value);
}

/**
 * PyTorch's default for `nn.Linear` and `nn.Conv2d` weights and biases: kaiming_uniform with a = sqrt(5),
 * i.e. Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)), where fanIn is in_features (times k*k for a conv).
 */
export function torchDefaultInit(size: number, fanIn: number): Initializer {
  return uniformInit(size, 1 / Math.sqrt(fanIn));
}

/**
 * airbench's conv init: PyTorch's default, then `dirac_` on the first C_in filters, so filter o < min(C_out,
 * C_in) becomes the identity map of channel o (1 at the kernel centre) and the rest keep their random values.
 */
export function diracConvInit(shape: readonly [number, number, number, number]): Initializer {
  const [cOut, cIn, kh, kw] = shape;
  const perFilter = cIn * kh * kw;
  const random = torchDefaultInit(cOut * perFilter, perFilter);
  return (rng) => {
    const w = random(rng);
    for (let o = 0; o < Math.min(cOut, cIn); o++) {
      w.fill(0, o * perFilter, (o + 1) * perFilter);
      w[o * perFilter + o * kh * kw + Math.floor(kh / 2) * kw + Math.floor(kw / 2)] = 1;
    }
    return w;
  };
}

/** airbench's head init: PyTorch's default Linear init, then divided by its sample standard deviation. */
export function unitStdInit(size: number, fanIn: number): Initializer {
  const random = torchDefaultInit(size, fanIn);
  return (rng) => {
    const w = random(rng);
    const mean = w.reduce((s, v) => s + v, 0) / size;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / (size - 1);
    return w.map((v) => v / Math.sqrt(variance));
  };
}

/**
 * A random n x n orthogonal matrix (row-major): Gram-Schmidt on the rows of a Gaussian matrix, which is
 * the QR factorisation with a positive diagonal, so the result is Haar-distributed as with PyTorch's
 * `orthogonal_`.
 */
export function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const q = Float64Array.from({ length: n * n }, () => rng.normal());
  for (let i = 0; i < n; i++) {
    const row = q.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < i; j++) {
      const prev = q.subarray(j * n, (j + 1) * n);
      let dot = 0;
      for (let k = 0; k < n; k++) dot += row[k] * prev[k];
      for (let k = 0; k < n; k++) row[k] -= dot * prev[k];
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += row[k] * row[k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < n; k++) row[k] /= norm;
  }
  return q;
}
