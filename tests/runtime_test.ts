/**
 * The runtime layer: every backend computes the same functions as a float64 reference, repeats itself
 * bit for bit, reports what it is, and rejects bad input with a clear message.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  availableBackends,
  type Backend,
  type BackendName,
  BACKENDS,
  type GraphOptimization,
  type HostData,
  openBackend,
  type TensorType,
} from "../src/runtime/mod.ts";
import { Rng } from "../src/trace/seeds.ts";
import {
  type DenseWeights,
  matmulModel,
  matmulReference,
  mlpModel,
  mlpReference,
} from "./helpers/onnx_fixtures.ts";

const THREADS = 2;

const availability = await availableBackends();
const unavailable = new Map(availability.filter((a) => !a.available).map((a) => [a.name, a.reason]));
for (const [name, reason] of unavailable) console.log(`skipping ${name} backend tests: ${reason}`);
const AVAILABLE = BACKENDS.filter((name) => !unavailable.has(name));

const opened = new Map<BackendName, Promise<Backend>>();
/** Each backend is opened once per test file (onnxruntime-web fixes its thread count per process). */
function backend(name: BackendName): Promise<Backend> {
  if (!opened.has(name)) opened.set(name, openBackend(name, { threads: THREADS }));
  return opened.get(name)!;
}

const rng = new Rng(20261126);

/**
 * Bound on the float32 rounding error of each entry of A @ B: k units of roundoff times sum |a||b|
 * (the classic gamma_k bound for a dot product, with a factor 2 for a reordered summation).
 */
function matmulErrorBound(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const abs = (x: Float32Array) => x.map(Math.abs);
  const eps = 2 ** -24;
  return matmulReference(abs(a), abs(b), m, k, n).map((s) => 2 * k * eps * s + 1e-30);
}

/** Error bound of {@link mlpModel}'s Z (and so Y, Relu being 1-Lipschitz): the matmul's plus the Add's rounding. */
function mlpErrorBound(x: Float32Array, batch: number, w: DenseWeights): Float64Array {
  const z = mlpReference(x, batch, w).z;
  return matmulErrorBound(x, w.weight, batch, w.inFeatures, w.outFeatures).map((e, i) =>
    e + Math.abs(z[i]) * 2 ** -23
  );
}

function assertWithin(
  actual: HostData,
  expected: Float64Array,
  bound: ArrayLike<number>,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(Number(actual[i]) - expected[i]);
    assert.ok(
      error <= bound[i],
      `${what}[${i}] = ${actual[i]}, reference ${expected[i]}, error ${error} > ${bound[i]}`,
    );
  }
}

function assertBitwiseEqual(a: HostData, b: HostData, what: string): void {
  assert.equal(a.constructor, b.constructor, `${what}: element type`);
  assert.deepEqual(
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    `${what}: bytes differ`,
  );
}

function randomDense(inFeatures: number, outFeatures: number): DenseWeights {
  return {
    inFeatures,
    outFeatures,
    weight: rng.normalArray(inFeatures * outFeatures, 1 / Math.sqrt(inFeatures)),
    bias: rng.normalArray(outFeatures, 0.5),
  };
}

Deno.test("openBackend rejects an unknown backend name and lists the valid ones", async () => {
  await assert.rejects(openBackend("cuda"), (e: Error) => {
    assert.match(e.message, /"cuda"/);
    for (const name of BACKENDS) assert.match(e.message, new RegExp(name));
    return true;
  });
});

Deno.test("openBackend rejects a thread count that is not an integer from 1 to 4 per core", async () => {
  const max = 4 * navigator.hardwareConcurrency;
  for (const threads of [0, -1, 1.5, NaN, max + 1, 100000]) {
    await assert.rejects(
      openBackend("native", { threads }),
      new RegExp(`threads must be an integer from 1 to ${max} \\(4 per core\\), got ${threads}`),
    );
  }
});

Deno.test("openBackend rejects an unknown graph optimization level and lists the valid ones", async () => {
  await assert.rejects(
    openBackend("native", { threads: 1, graphOptimization: "max" as GraphOptimization }),
    /unknown graph optimization level "max"; use one of: disabled, basic, extended, all/,
  );
});

Deno.test("availableBackends reports every backend, with a reason for each unavailable one", () => {
  assert.deepEqual(availability.map((a) => a.name), [...BACKENDS]);
  for (const a of availability) assert.equal(a.available, a.reason === undefined, `${a.name}: ${a.reason}`);
});

for (const name of BACKENDS) {
  const ignore = unavailable.has(name);

  Deno.test({
    name: `${name}: MatMul matches the float64 reference within the float32 error bound`,
    ignore,
    fn: async () => {
      const be = await backend(name);
      const [m, k, n] = [24, 40, 16];
      const a = rng.normalArray(m * k);
      const b = rng.normalArray(k * n);
      const session = await be.load(matmulModel(m, k, n));
      try {
        assert.deepEqual(session.inputNames, ["A", "B"]);
        assert.deepEqual(session.outputNames, ["C"]);
        const out = await session.run({
          A: be.tensor("float32", a, [m, k]),
          B: be.tensor("float32", b, [k, n]),
        });
        assert.deepEqual(out.C.dims, [m, n]);
        const c = await be.read(out.C);
        assert.ok(c instanceof Float32Array);
        assertWithin(c, matmulReference(a, b, m, k, n), matmulErrorBound(a, b, m, k, n), `${name} C`);
      } finally {
        await session.release();
      }
    },
  });

  Deno.test({
    name: `${name}: MLP (MatMul, Add, Relu) matches the float64 reference and honours fetches`,
    ignore,
    fn: async () => {
      const be = await backend(name);
      const batch = 5;
      const w = randomDense(12, 8);
      const x = rng.normalArray(batch * w.inFeatures);
      const ref = mlpReference(x, batch, w);
      const bound = mlpErrorBound(x, batch, w);
      const session = await be.load(mlpModel(w));
      try {
        const X = be.tensor("float32", x, [batch, w.inFeatures]);
        const both = await session.run({ X });
        assertWithin(await be.read(both.Z), ref.z, bound, `${name} Z`);
        assertWithin(await be.read(both.Y), ref.y, bound, `${name} Y`);
        assert.ok(
          ref.y.some((v) => v === 0) && ref.y.some((v) => v > 0),
          "the test input exercises both Relu sides",
        );
        const onlyY = await session.run({ X }, ["Y"]);
        assert.deepEqual(Object.keys(onlyY), ["Y"]);
        assertWithin(await be.read(onlyY.Y), ref.y, bound, `${name} fetched Y`);
      } finally {
        await session.release();
      }
    },
  });

  Deno.test({
    name: `${name}: the same session run twice gives bitwise-identical outputs`,
    ignore,
    fn: async () => {
      const be = await backend(name);
      const n = 128;
      const a = rng.normalArray(n * n);
      const b = rng.normalArray(n * n);
      const session = await be.load(matmulModel(n, n, n));
      try {
        const feeds = { A: be.tensor("float32", a, [n, n]), B: be.tensor("float32", b, [n, n]) };
        const first = await be.read((await session.run(feeds)).C);
        const second = await be.read((await session.run(feeds)).C);
        assertBitwiseEqual(first, second, `${name} C`);
      } finally {
        await session.release();
      }
    },
  });

  Deno.test({
    name: `${name}: info() names the backend, its pinned ORT package and the thread count`,
    ignore,
    fn: async () => {
      const info = (await backend(name)).info();
      const expectedPackage = {
        native: "onnxruntime-node",
        wasm: "onnxruntime-web",
        webgpu: "onnxruntime-web/webgpu",
      };
      assert.equal(info.name, name);
      assert.equal(info.ortPackage, expectedPackage[name]);
      assert.equal(info.ortVersion, await pinnedVersion(info.ortPackage));
      assert.equal(info.threads, THREADS);
      assert.equal(info.graphOptimization, "all");
      assert.equal(info.deno, Deno.version.deno);
      assert.equal(info.v8, Deno.version.v8);
      if (name === "webgpu") {
        const adapter = (await navigator.gpu.requestAdapter())!.info;
        assert.deepEqual(info.adapter, {
          vendor: adapter.vendor,
          architecture: adapter.architecture,
          device: adapter.device,
          description: adapter.description,
          isFallback: adapter.isFallbackAdapter,
        });
        assert.ok(info.adapter!.description.length > 0);
      } else {
        assert.equal(info.adapter, undefined);
      }
    },
  });

  Deno.test({
    name: `${name}: tensor() and read() round-trip every tensor type and reject mismatched input`,
    ignore,
    fn: async () => {
      const be = await backend(name);
      const samples: [TensorType, HostData][] = [
        ["float32", new Float32Array([1.5, -2, 3, 0.25, 5, 6])],
        ["float64", new Float64Array([Math.PI, -1e300, 0, 1, 2, 3])],
        ["int32", new Int32Array([1, -2, 2 ** 31 - 1, 4, 5, 6])],
        ["int64", new BigInt64Array([1n, -(2n ** 62n), 3n, 4n, 5n, 6n])],
      ];
      for (const [type, data] of samples) {
        const t = be.tensor(type, data, [2, 3]);
        assert.equal(t.type, type);
        assert.deepEqual(t.dims, [2, 3]);
        const back = await be.read(t);
        assert.deepEqual(back, data);
        assert.notEqual(back.buffer, data.buffer, "read() returns a copy");
      }
      assert.throws(
        () => be.tensor("float32", new Float32Array(5), [2, 3]),
        /hold 6 values but the data has 5/,
      );
      assert.throws(
        () => be.tensor("int32", new Float32Array(6), [2, 3]),
        /needs a Int32Array, got Float32Array/,
      );
      assert.throws(
        () => be.tensor("uint8" as TensorType, new Float32Array(1), [1]),
        /not supported; use one of/,
      );
    },
  });

  Deno.test({
    name: `${name}: a released session refuses to run and releasing again is harmless`,
    ignore,
    fn: async () => {
      const be = await backend(name);
      const session = await be.load(matmulModel(2, 2, 2));
      await session.release();
      await session.release();
      const one = be.tensor("float32", new Float32Array(4), [2, 2]);
      await assert.rejects(session.run({ A: one, B: one }), /was released/);
    },
  });
}

Deno.test({
  name: "native and wasm and webgpu give the same MLP outputs within float tolerance",
  ignore: AVAILABLE.length < 2,
  fn: async () => {
    const batch = 6;
    const w = randomDense(32, 32);
    const x = rng.normalArray(batch * w.inFeatures);
    const bound = mlpErrorBound(x, batch, w).map((e) => 2 * e);
    const model = mlpModel(w);
    const results: [BackendName, HostData, HostData][] = [];
    for (const name of AVAILABLE) {
      const be = await backend(name);
      const session = await be.load(model);
      try {
        const out = await session.run({ X: be.tensor("float32", x, [batch, w.inFeatures]) });
        results.push([name, await be.read(out.Z), await be.read(out.Y)]);
      } finally {
        await session.release();
      }
    }
    const [[firstName, firstZ, firstY], ...rest] = results;
    for (const [name, z, y] of rest) {
      assertWithin(z, Float64Array.from(firstZ, Number), bound, `${name} vs ${firstName} Z`);
      assertWithin(y, Float64Array.from(firstY, Number), bound, `${name} vs ${firstName} Y`);
    }
  },
});

Deno.test({
  name: "wasm refuses a second, different thread count in the same process",
  ignore: unavailable.has("wasm"),
  fn: async () => {
    await backend("wasm");
    await assert.rejects(openBackend("wasm", { threads: THREADS + 1 }), /already runs with 2 threads/);
    assert.equal((await openBackend("wasm", { threads: THREADS })).info().threads, THREADS);
  },
});

Deno.test({
  name: "native writes an ORT profile file when asked; the web backends refuse profilePrefix",
  ignore: unavailable.has("native"),
  fn: async () => {
    const folder = await Deno.makeTempDir({ prefix: "lmo-bench-profile-" });
    try {
      const be = await backend("native");
      const session = await be.load(matmulModel(4, 4, 4), { profilePrefix: join(folder, "matmul") });
      const one = be.tensor("float32", new Float32Array(16).fill(1), [4, 4]);
      await session.run({ A: one, B: one });
      await session.release();
      const files = [...Deno.readDirSync(folder)].map((e) => e.name);
      assert.equal(files.length, 1, `one profile file, got ${files}`);
      assert.match(files[0], /^matmul.*\.json$/);
      const events = JSON.parse(await Deno.readTextFile(join(folder, files[0])));
      assert.ok(events.some((e: { args?: { op_name?: string } }) => e.args?.op_name === "MatMul"));
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
    for (const name of AVAILABLE.filter((n) => n !== "native")) {
      await assert.rejects(
        (await backend(name)).load(matmulModel(2, 2, 2), { profilePrefix: "p" }),
        /profilePrefix/,
      );
    }
  },
});

Deno.test({
  name: "webgpu: gpu-buffer outputs feed the next run without a host round trip",
  ignore: unavailable.has("webgpu"),
  fn: async () => {
    const be = await backend("webgpu");
    const batch = 4;
    const w = randomDense(16, 16);
    const x = rng.normalArray(batch * w.inFeatures);
    const session = await be.load(mlpModel(w), { keepOutputsOnDevice: true });
    try {
      const first = await session.run({ X: be.tensor("float32", x, [batch, w.inFeatures]) }, ["Y"]);
      assert.equal(first.Y.location, "gpu-buffer");
      const second = await session.run({ X: first.Y }, ["Y"]);
      assert.equal(first.Y.location, "gpu-buffer", "the chained tensor was never downloaded");
      assert.equal(second.Y.location, "gpu-buffer");
      // Second-pass reference from the rounded first-pass reference; the bound carries the first pass's
      // error (plus that rounding) through |W|, then adds the second pass's own rounding.
      const y1 = mlpReference(x, batch, w).y;
      const y1f32 = Float32Array.from(y1);
      const y2 = mlpReference(y1f32, batch, w).y;
      const carried = mlpErrorBound(x, batch, w).map((e, i) => e + Math.abs(y1[i]) * 2 ** -24);
      const absWeight = w.weight.map(Math.abs);
      const bound = matmulReference(carried, absWeight, batch, w.inFeatures, w.outFeatures)
        .map((e, i) => e + mlpErrorBound(y1f32, batch, w)[i]);
      assertWithin(await be.read(second.Y), y2, bound, "webgpu chained Y");
      be.dispose(first.Y);
      be.dispose(second.Y);
      assert.equal(first.Y.location, "none");
      assert.equal(second.Y.location, "none");
    } finally {
      await session.release();
    }
  },
});

/** The version pinned for `ortPackage` in deno.json's import map. */
async function pinnedVersion(ortPackage: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const target: string = config.imports[ortPackage];
  const version = target.match(/@(\d+\.\d+\.\d+)/)?.[1];
  assert.ok(version, `deno.json pins ${ortPackage}: ${target}`);
  return version;
}
