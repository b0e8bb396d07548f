/**
 * The NCHWc rewrite of convolutions (src/runtime/nchwc.ts): the rewritten Conv and stride-1 ConvTranspose
 * compute the definitions (checked against direct sums in float64), for inputs narrower than a channel block,
 * channel counts that are not a multiple of it, strides and padding; what it leaves alone; and the load error
 * of a rewritten model, which says how to load it unchanged.
 */
import assert from "node:assert/strict";
import * as G from "../src/graph/mod.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { Program } from "../src/runtime/program.ts";
import { nchwcConvolutions, probeNchwcBlock } from "../src/runtime/nchwc.ts";
import { Rng } from "../src/trace/seeds.ts";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto as unknown as { onnx: any };

type Shape4 = [number, number, number, number];

const randn = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

/**
 * y[n,o,i,j] = sum over c < ci, a < kh, q < kw of x[n,c,r,t] k(o,c,a,q), with (r, t) = at(i, j, a, q) and
 * positions outside the input counted as zero: the definition both convolutions below share.
 */
function directSum(
  x: Float32Array,
  [n, ci, h, w]: Shape4,
  [co, ho, wo, kh, kw]: number[],
  k: (o: number, c: number, a: number, q: number) => number,
  at: (i: number, j: number, a: number, q: number) => [number, number],
): Float64Array {
  const y = new Float64Array(n * co * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < co; o++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let sum = 0;
          for (let c = 0; c < ci; c++) {
            for (let a = 0; a < kh; a++) {
              for (let q = 0; q < kw; q++) {
                const [r, t] = at(i, j, a, q);
                if (r >= 0 && r < h && t >= 0 && t < w) {
                  sum += x[((b * ci + c) * h + r) * w + t] * k(o, c, a, q);
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

/** Convolution: y[n,o,i,j] = sum_{c,a,q} x[n,c,i*s+a-p,j*s+q-p] w[o,c,a,q]. */
function directConv(
  x: Float32Array,
  xs: Shape4,
  w: Float32Array,
  [co, ci, kh, kw]: Shape4,
  s: number,
  p: number,
) {
  const out = (d: number, k: number) => Math.floor((d + 2 * p - k) / s) + 1;
  return directSum(
    x,
    xs,
    [co, out(xs[2], kh), out(xs[3], kw), kh, kw],
    (o, c, a, q) => w[((o * ci + c) * kh + a) * kw + q],
    (i, j, a, q) => [i * s + a - p, j * s + q - p],
  );
}

/** The stride-1 transposed convolution: y[n,o,i,j] = sum_{c,a,q} g[n,c,i+p-a,j+p-q] w[c,o,a,q]. */
function directConvTranspose(
  g: Float32Array,
  gs: Shape4,
  w: Float32Array,
  [, co, kh, kw]: Shape4,
  p: number,
) {
  return directSum(
    g,
    gs,
    [co, gs[2] + kh - 1 - 2 * p, gs[3] + kw - 1 - 2 * p, kh, kw],
    (o, c, a, q) => w[((c * co + o) * kh + a) * kw + q],
    (i, j, a, q) => [i + p - a, j + p - q],
  );
}

function assertClose(got: Float32Array, want: Float64Array, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * scale, `${what}[${i}] = ${got[i]}, want ${want[i]}`);
  }
}

/** name, input shape, kernel shape, stride, padding. */
const CASES: [string, Shape4, Shape4, number, number][] = [
  ["1 input channel, 2x2 kernel (a trainable whitening layer)", [2, 1, 9, 9], [8, 1, 2, 2], 1, 0],
  ["5 input channels (odd, fewer than a block)", [2, 5, 7, 7], [8, 5, 3, 3], 1, 1],
  ["3 input channels (fewer than a block: NCHW input)", [2, 3, 9, 9], [8, 3, 3, 3], 1, 1],
  ["8 -> 8 channels", [3, 8, 7, 7], [8, 8, 3, 3], 1, 1],
  ["12 -> 20 channels (padded blocks), stride 2", [2, 12, 9, 8], [20, 12, 3, 3], 2, 1],
  ["16 -> 5 channels, 2x2 kernel, no padding", [2, 16, 6, 6], [5, 16, 2, 2], 1, 0],
];

const block = await probeNchwcBlock((await import("onnxruntime-node")).default as never);

for (const [name, xShape, wShape, stride, padding] of CASES) {
  Deno.test({
    name: `NCHWc Conv and its stride-1 transpose compute the definitions: ${name}`,
    ignore: block === 0,
    fn: async () => {
      const rng = new Rng(11);
      const g = new G.Graph();
      const x = g.input("x", xShape), w = g.input("w", wShape);
      const y = G.conv2d(x, w, { stride, padding });
      const outputs: Record<string, G.Tensor> = { y };
      const feeds: Record<string, Float32Array> = {
        x: randn(rng, xShape.reduce((p, q) => p * q)),
        w: randn(rng, wShape.reduce((p, q) => p * q)),
      };
      if (stride === 1) {
        const gy = g.input("gy", y.shape as Shape4);
        feeds.gy = randn(rng, y.size);
        outputs.gx = G.convTranspose2d(gy, w, { stride: 1, padding, outputPadding: 0 });
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
        assertClose(
          out.y as Float32Array,
          directConv(feeds.x, xShape, feeds.w, wShape, stride, padding),
          "y",
        );
        if (feeds.gy) {
          assertClose(
            out.gx as Float32Array,
            directConvTranspose(feeds.gy, y.shape as Shape4, feeds.w, wShape, padding),
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

Deno.test({
  name: "a rewritten model that fails to load says how to load it unchanged",
  ignore: block === 0,
  fn: async () => {
    const g = new G.Graph();
    const x = g.input("x", [1, 8, 5, 5]), w = g.input("w", [8, 8, 3, 3]), b = g.input("b", [1, 8, 5, 5]);
    const model = G.exportOnnx({ y: G.add(G.conv2d(x, w, { padding: 1 }), b) });
    // Declare `b` as [1, 8, 4, 4]: the Add no longer broadcasts, and ORT refuses the model at load.
    const proto = onnx.ModelProto.decode(model.bytes);
    proto.graph.input.find((v: { name: string }) => v.name === "b").type.tensorType.shape.dim[2].dimValue = 4;
    const broken = onnx.ModelProto.encode(proto).finish();
    const backend = await openBackend("native", { threads: 1 });
    await assert.rejects(backend.load(broken), /NCHWc kernels; LMO_NCHWC=off loads it unchanged/);
    const plain = await openBackend("native", { threads: 1, nchwc: false });
    await assert.rejects(plain.load(broken), (e: Error) => !e.message.includes("LMO_NCHWC"));
  },
});
