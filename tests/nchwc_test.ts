/**
 * The NCHWc rewrite of convolutions (src/runtime/nchwc.ts): the rewritten Conv and stride-1 ConvTranspose
 * compute the definitions (checked against direct sums in float64), for inputs narrower than a channel block,
 * channel counts that are not a multiple of it, strides and padding; and what it leaves alone.
 */
import assert from "node:assert/strict";
import * as G from "../src/graph/mod.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { Program } from "../src/runtime/program.ts";
import { nchwcConvolutions, probeNchwcBlock } from "../src/runtime/nchwc.ts";
import { Rng } from "../src/trace/seeds.ts";

type Shape4 = [number, number, number, number];

const randn = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

/** y[n,o,i,j] = sum_{c,a,q} x[n,c,i*s+a-p,j*s+q-p] w[o,c,a,q]. */
function directConv(
  x: Float32Array,
  [n, ci, h, w]: Shape4,
  k: Float32Array,
  [co, , kh, kw]: Shape4,
  s: number,
  p: number,
) {
  const ho = Math.floor((h + 2 * p - kh) / s) + 1, wo = Math.floor((w + 2 * p - kw) / s) + 1;
  const y = new Float64Array(n * co * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < co; o++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let sum = 0;
          for (let c = 0; c < ci; c++) {
            for (let a = 0; a < kh; a++) {
              for (let q = 0; q < kw; q++) {
                const r = i * s + a - p, t = j * s + q - p;
                if (r >= 0 && r < h && t >= 0 && t < w) {
                  sum += x[((b * ci + c) * h + r) * w + t] * k[((o * ci + c) * kh + a) * kw + q];
                }
              }
            }
          }
          y[((b * co + o) * ho + i) * wo + j] = sum;
        }
      }
    }
  }
  return y;
}

/** The stride-1 transposed convolution: y[n,o,i,j] = sum_{c,a,q} g[n,c,i+p-a,j+p-q] w[c,o,a,q]. */
function directConvTranspose(
  g: Float32Array,
  [n, ci, h, w]: Shape4,
  k: Float32Array,
  [, co, kh, kw]: Shape4,
  p: number,
) {
  const ho = h + kh - 1 - 2 * p, wo = w + kw - 1 - 2 * p;
  const y = new Float64Array(n * co * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < co; o++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let sum = 0;
          for (let c = 0; c < ci; c++) {
            for (let a = 0; a < kh; a++) {
              for (let q = 0; q < kw; q++) {
                const r = i + p - a, t = j + p - q;
                if (r >= 0 && r < h && t >= 0 && t < w) {
                  sum += g[((b * ci + c) * h + r) * w + t] * k[((c * co + o) * kh + a) * kw + q];
                }
              }
            }
          }
          y[((b * co + o) * ho + i) * wo + j] = sum;
        }
      }
    }
  }
  return y;
}

function assertClose(got: Float32Array, want: Float64Array, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * scale, `${what}[${i}] = ${got[i]}, want ${want[i]}`);
  }
}

const CASES: { name: string; x: Shape4; w: Shape4; stride: number; padding: number }[] = [
  {
    name: "1 input channel, 2x2 kernel (a trainable whitening layer)",
    x: [2, 1, 9, 9],
    w: [8, 1, 2, 2],
    stride: 1,
    padding: 0,
  },
  {
    name: "5 input channels (odd, fewer than a block)",
    x: [2, 5, 7, 7],
    w: [8, 5, 3, 3],
    stride: 1,
    padding: 1,
  },
  {
    name: "3 input channels (fewer than a block: NCHW input)",
    x: [2, 3, 9, 9],
    w: [8, 3, 3, 3],
    stride: 1,
    padding: 1,
  },
  { name: "8 -> 8 channels", x: [3, 8, 7, 7], w: [8, 8, 3, 3], stride: 1, padding: 1 },
  {
    name: "12 -> 20 channels (padded blocks), stride 2",
    x: [2, 12, 9, 8],
    w: [20, 12, 3, 3],
    stride: 2,
    padding: 1,
  },
  {
    name: "16 -> 5 channels, 2x2 kernel, no padding",
    x: [2, 16, 6, 6],
    w: [5, 16, 2, 2],
    stride: 1,
    padding: 0,
  },
];

const block = await probeNchwcBlock((await import("onnxruntime-node")).default as never);

for (const c of CASES) {
  Deno.test({
    name: `NCHWc Conv and its stride-1 transpose compute the definitions: ${c.name}`,
    ignore: block === 0,
    fn: async () => {
      const rng = new Rng(11);
      const g = new G.Graph();
      const x = g.input("x", c.x), w = g.input("w", c.w);
      const y = G.conv2d(x, w, { stride: c.stride, padding: c.padding });
      const outputs: Record<string, G.Tensor> = { y };
      const feeds: Record<string, Float32Array> = {
        x: randn(rng, c.x.reduce((p, q) => p * q)),
        w: randn(rng, c.w.reduce((p, q) => p * q)),
      };
      if (c.stride === 1) {
        const gy = g.input("gy", y.shape as Shape4);
        feeds.gy = randn(rng, y.size);
        outputs.gx = G.convTranspose2d(gy, w, { stride: 1, padding: c.padding, outputPadding: 0 });
      }
      const model = G.exportOnnx(outputs);
      const rewritten = nchwcConvolutions(model.bytes, block);
      const text = new TextDecoder("latin1").decode(rewritten);
      assert.ok(text.includes("ReorderOutput"), "the rewrite changed nothing");
      assert.ok(!/\bConvTranspose\b/.test(text), "a stride-1 ConvTranspose is left");
      const backend = await openBackend("native", { threads: 2 });
      assert.equal(backend.info().nchwcBlock, block);
      const program = await Program.load(backend, model);
      try {
        const out = await program.runToHost(feeds);
        assertClose(out.y as Float32Array, directConv(feeds.x, c.x, feeds.w, c.w, c.stride, c.padding), "y");
        if (feeds.gy) {
          assertClose(
            out.gx as Float32Array,
            directConvTranspose(feeds.gy, y.shape as Shape4, feeds.w, c.w, c.padding),
            "gx",
          );
        }
      } finally {
        await program.release();
      }
    },
  });
}

Deno.test("the NCHWc rewrite leaves float64, strided transposes, constant kernels and 10 channels alone", () => {
  const g = new G.Graph();
  const x64 = g.input("x64", [1, 8, 5, 5], "float64"), w64 = g.input("w64", [8, 8, 3, 3], "float64");
  const y = g.input("y", [1, 8, 4, 4]), w = g.input("w", [8, 8, 3, 3]);
  const k = g.constant(new Float32Array(8 * 8 * 9), [8, 8, 3, 3]);
  // ReorderInput takes a multiple of 4 channels; fewer than a block are read as NCHW.
  const x10 = g.input("x10", [1, 10, 5, 5]), w10 = g.input("w10", [8, 10, 3, 3]);
  const model = G.exportOnnx({
    a: G.conv2d(x64, w64, { padding: 1 }),
    b: G.convTranspose2d(y, w, { stride: 2, padding: 1, outputPadding: 1 }),
    c: G.conv2d(y, k, { padding: 1 }),
    d: G.conv2d(x10, w10, { padding: 1 }),
  });
  assert.equal(nchwcConvolutions(model.bytes, 8), model.bytes);
});
