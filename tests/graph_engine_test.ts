/**
 * The engine end to end: forward values of fused ops, shape errors that name the op and the shapes, bitwise
 * repeatability, and the same loss and gradients on native, wasm and webgpu.
 */
import assert from "node:assert/strict";
import * as G from "../src/graph/mod.ts";
import { availableBackends, type BackendName, openBackend } from "../src/runtime/mod.ts";
import { Program } from "../src/runtime/program.ts";
import { spellOutMaxUnpool } from "../src/runtime/unpool.ts";
import { Rng } from "../src/trace/seeds.ts";

async function runOn(
  backend: BackendName,
  model: G.OnnxModel,
  feeds: Record<string, Float32Array | Int32Array>,
) {
  const b = await openBackend(backend, { threads: 1 });
  const p = await Program.load(b, model);
  try {
    return await p.runToHost(feeds);
  } finally {
    await p.release();
  }
}

Deno.test("gelu's fused kernel computes 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", async () => {
  const g = new G.Graph();
  const x = g.input("x", [64]);
  const xs = Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 6);
  const out = await runOn("native", G.exportOnnx({ y: G.gelu(x) }), { x: xs });
  xs.forEach((v, i) => {
    const want = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    assert.ok(Math.abs(out.y[i] as number - want) < 1e-5, `gelu(${v}) = ${out.y[i]}, want ${want}`);
  });
});

Deno.test("causalMask + softmax puts zero weight above the diagonal", async () => {
  const g = new G.Graph();
  const s = g.input("s", [2, 4, 4]);
  const out = await runOn("native", G.exportOnnx({ w: G.softmax(G.causalMask(s)) }), {
    s: new Float32Array(32).fill(1),
  });
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        assert.equal(out.w[b * 16 + i * 4 + j], j <= i ? Math.fround(1 / (i + 1)) : 0);
      }
    }
  }
});

Deno.test("maxPool2d routes a window's gradient to its first maximum when maxima tie, on every backend", async () => {
  const g = new G.Graph();
  const x = g.input("x", [1, 1, 4, 4]);
  const [dx] = G.grad(G.reduceSum(G.maxPool2d(x, 2)), [x]);
  // Window 1 all tied; window 2 tied between its 2nd and 4th entries; windows 3 and 4 have one maximum.
  const xs = Float32Array.from([1, 1, 0, 5, 1, 1, 2, 5, 3, 0, 7, 7, 0, 0, 9, 7]);
  const want = [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0];
  for (const { name, available } of await availableBackends()) {
    if (!available) continue;
    const out = await runOn(name, G.exportOnnx({ dx }), { x: xs });
    assert.deepEqual(Array.from(out.dx as Float32Array), want, name);
  }
});

Deno.test("maxPool2d's gradient over batches, channels and a 7x5 map (a row and column past the windows) matches a direct loop, on every backend", async () => {
  const [n, c, h, w, k] = [2, 3, 7, 5, 2];
  const [ho, wo] = [Math.floor(h / k), Math.floor(w / k)];
  const g = new G.Graph();
  const x = g.input("x", [n, c, h, w]);
  const seed = g.input("seed", [n, c, ho, wo]);
  const [dx] = G.grad(G.maxPool2d(x, k), [x], seed);
  const rng = new Rng(11);
  // Values on a coarse grid, so that many windows hold tied maxima.
  const xs = Float32Array.from({ length: n * c * h * w }, () => Math.floor(rng.uniform() * 4));
  const seeds = Float32Array.from({ length: n * c * ho * wo }, () => rng.uniform() - 0.5);
  const want = new Float32Array(xs.length);
  for (let plane = 0; plane < n * c; plane++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        let best = -1;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            const at = plane * h * w + (i * k + a) * w + j * k + b;
            if (best < 0 || xs[at] > xs[best]) best = at;
          }
        }
        want[best] = seeds[plane * ho * wo + i * wo + j];
      }
    }
  }
  const model = G.exportOnnx({ dx });
  // WebGPU's form (src/runtime/unpool.ts), checked on native too, so that machines without an adapter test it.
  const spelledOut = { ...model, bytes: spellOutMaxUnpool(model.bytes) };
  assert.notEqual(spelledOut.bytes, model.bytes, "the rewrite found the MaxPool + MaxUnpool pair");
  const runs: [string, BackendName, G.OnnxModel][] = [["native, spelled out", "native", spelledOut]];
  for (const { name, available } of await availableBackends()) if (available) runs.push([name, name, model]);
  for (const [label, backend, m] of runs) {
    const out = await runOn(backend, m, { x: xs, seed: seeds });
    // + 0 turns -0 into 0: the spelled-out form multiplies negative gradients by the mask's zeros.
    assert.deepEqual((out.dx as Float32Array).map((v) => v + 0), want, label);
  }
});

Deno.test("overlapping max pools keep their scatter: WebGPU's rewrite returns their model unchanged", () => {
  const g = new G.Graph();
  const x = g.input("x", [1, 2, 7, 7]);
  const model = G.exportOnnx({ dx: G.grad(G.reduceSum(G.maxPool2d(x, 3, 2)), [x])[0] });
  assert.equal(spellOutMaxUnpool(model.bytes), model.bytes);
});

Deno.test("gather's gradient sums repeated rows in index order at 2 threads, the same on every run", async () => {
  // 8,192 lookups of 3 rows, 384 wide: enough work that ORT splits a parallel scatter across both threads.
  const [n, rows, width] = [8192, 3, 384];
  const g = new G.Graph();
  const table = g.input("table", [rows, width]);
  const ids = g.input("ids", [n], "int32");
  const w = g.input("w", [n, width]);
  const [dt] = G.grad(G.reduceSum(G.mul(G.gather(table, ids), w)), [table]);
  const rng = new Rng(3);
  const feeds = {
    table: new Float32Array(rows * width),
    ids: Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * rows)),
    w: Float32Array.from({ length: n * width }, () => rng.uniform() - 0.5),
  };
  const want = new Float32Array(rows * width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) {
      want[feeds.ids[i] * width + j] = Math.fround(want[feeds.ids[i] * width + j] + feeds.w[i * width + j]);
    }
  }
  const backend = await openBackend("native", { threads: 2 });
  const p = await Program.load(backend, G.exportOnnx({ dt }));
  try {
    for (let run = 0; run < 3; run++) assert.deepEqual((await p.runToHost(feeds)).dt, want, `run ${run}`);
  } finally {
    await p.release();
  }
});

Deno.test("shape errors name the op and the shapes", () => {
  const g = new G.Graph();
  const a = g.input("a", [3, 4]);
  const b = g.input("b", [5, 6]);
  assert.throws(
    () => G.matmul(a, b),
    /MatMul: inner dimensions 4 and 5 differ \(input shapes \[3, 4\], \[5, 6\]\)/,
  );
  assert.throws(() => G.add(a, b), /Add: shapes do not broadcast \(input shapes \[3, 4\], \[5, 6\]\)/);
  assert.throws(() => G.reshape(a, [5, -1]), /Reshape: cannot reshape 12 elements to \[5, -1\]/);
  assert.throws(
    () => G.conv2d(g.input("x", [1, 3, 8, 8]), g.input("w", [4, 2, 3, 3])),
    /Conv: input has 3 channels, kernel expects 2/,
  );
});

/** A small MLP's loss and gradients with a shared random batch. */
function mlp() {
  const g = new G.Graph();
  const x = g.input("x", [16, 8]);
  const y = g.input("y", [16], "int32");
  const w1 = g.input("w1", [32, 8]);
  const w2 = g.input("w2", [5, 32]);
  const loss = G.softmaxCrossEntropy(G.linear(G.gelu(G.layerNorm(G.linear(x, w1))), w2), y);
  const [d1, d2] = G.grad(loss, [w1, w2]);
  const rng = new Rng(3);
  const feeds = {
    x: rng.normalArray(128),
    y: Int32Array.from({ length: 16 }, () => rng.int(5)),
    w1: rng.normalArray(256, 0.3),
    w2: rng.normalArray(160, 0.3),
  };
  return { model: G.exportOnnx({ loss, d1, d2 }), feeds };
}

Deno.test("a computed output is written under its own name; inputs and second names go through Identity", async () => {
  const g = new G.Graph();
  const x = g.input("x", [3]);
  const y = G.mul(x, 2);
  const model = G.exportOnnx({ y, again: y, passthrough: x, z: G.add(y, 1) });
  // Mul and Add write "y" and "z" themselves; only the two outputs that name an existing value copy it.
  assert.equal(model.nodeCount, 4);
  const out = await runOn("native", model, { x: new Float32Array([1, 2, 3]) });
  assert.deepEqual([...out.y], [2, 4, 6]);
  assert.deepEqual([...out.again], [2, 4, 6]);
  assert.deepEqual([...out.passthrough], [1, 2, 3]);
  assert.deepEqual([...out.z], [3, 5, 7]);
});

Deno.test("running the same graph twice on one backend gives bitwise-identical outputs", async () => {
  const { model, feeds } = mlp();
  const a = await runOn("native", model, feeds);
  const b = await runOn("native", model, feeds);
  for (const k of ["loss", "d1", "d2"]) assert.deepEqual(a[k], b[k]);
});

const backends = await availableBackends();
for (const { name, available, reason } of backends.filter((b) => b.name !== "native")) {
  Deno.test({
    name: `the same graph gives the same loss and gradients on native and ${name}`,
    ignore: !available,
    fn: async () => {
      const { model, feeds } = mlp();
      const ref = await runOn("native", model, feeds);
      const got = await runOn(name, model, feeds);
      for (const k of ["loss", "d1", "d2"]) {
        const [r, o] = [ref[k] as Float32Array, got[k] as Float32Array];
        const scale = Math.max(...r.map(Math.abs));
        r.forEach((v, i) =>
          assert.ok(Math.abs(v - o[i]) <= 1e-5 * scale + 1e-6, `${k}[${i}]: ${v} vs ${o[i]}`)
        );
      }
    },
  });
  if (!available) console.log(`skipping ${name}: ${reason}`);
}
