/**
 * Gradient accumulation: under every optimizer preset, K micro-batches of size b give the update (and the
 * loss) of one batch of size K x b, in float64 graphs on native and wasm.
 */
import assert from "node:assert/strict";
import { makeWorkload } from "../src/models/presets.ts";
import type { Workload } from "../src/models/types.ts";
import { makeOptimizer, presetNames } from "../src/optim/mod.ts";
import type { HostData } from "../src/runtime/backend.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { type Feed, Program } from "../src/runtime/program.ts";
import { Rng } from "../src/trace/seeds.ts";
import { Accumulator } from "../src/train/accumulate.ts";
import { initialFeeds } from "../src/train/loop.ts";
import { batchInput, buildStepGraph, next, paramInput, type StepGraph } from "../src/train/step.ts";

const K = 3;
const MICRO = 2;
const SIZES = { layers: 1, heads: 2, width: 8, context: 4, vocab: 11 };
const micro = makeWorkload("nanogpt-tiny", { ...SIZES, batch: MICRO });
const big = makeWorkload("nanogpt-tiny", { ...SIZES, batch: K * MICRO });

/** K micro-batches of random tokens and targets. */
function microBatches(): Record<string, Int32Array>[] {
  const rng = new Rng(7);
  const draw = () => Int32Array.from({ length: MICRO * SIZES.context }, () => rng.int(SIZES.vocab));
  return Array.from({ length: K }, () => ({ x: draw(), y: draw() }));
}

/** The batches joined along the batch axis (row-major [B, T] blocks one after another). */
function joined(batches: Record<string, Int32Array>[]): Record<string, Int32Array> {
  const join = (key: string) => Int32Array.from(batches.flatMap((b) => [...b[key]]));
  return { x: join("x"), y: join("y") };
}

/** Float64 parameter feeds, zero state and the step scalars. */
function startFeeds(workload: Workload, graph: StepGraph): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  for (const [name, v] of Object.entries(initialFeeds(workload, graph.state, 3))) {
    feeds[name] = Float64Array.from(v as Float32Array);
  }
  feeds.lr = new Float64Array([0.01]);
  feeds.step = new Float64Array([0]);
  return feeds;
}

/** The parameter updates (next minus current, all parameters in order) and the loss of one step. */
async function update(program: Program, feeds: Record<string, Feed>, workload: Workload) {
  const out = await program.runToHost(feeds);
  const delta = workload.params.flatMap((p) => {
    const before = feeds[paramInput(p.name)] as Float64Array;
    const after = out[next(paramInput(p.name))] as Float64Array;
    return Array.from(after, (v, i) => v - before[i]);
  });
  return { delta, loss: Number(out.loss[0]) };
}

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

for (const backendName of ["native", "wasm"] as const) {
  Deno.test(`accumulation on ${backendName}: ${K} micro-batches of ${MICRO} give the update of one batch of ${K * MICRO}, every preset`, async (t) => {
    const backend = await openBackend(backendName, { threads: 1 });
    const batches = microBatches();
    for (const name of presetNames()) {
      await t.step(name, async () => {
        const optimizer = makeOptimizer(name);
        const bigGraph = buildStepGraph(big, optimizer, "float64");
        const bigProgram = await Program.load(backend, bigGraph.lean);
        const bigFeeds = startFeeds(big, bigGraph);
        for (const [k, v] of Object.entries(joined(batches))) bigFeeds[batchInput(k)] = v;
        const want = await update(bigProgram, bigFeeds, big);

        const accGraph = buildStepGraph(micro, optimizer, "float64", K);
        const accumulator = (await Accumulator.load(backend, accGraph))!;
        const stepProgram = await Program.load(backend, accGraph.lean);
        const feeds = startFeeds(micro, accGraph);
        const stream = batches.values();
        await accumulator.run(feeds, { next: () => stream.next().value as Record<string, HostData> });
        for (const [k, v] of Object.entries(stream.next().value!)) feeds[batchInput(k)] = v;
        const got = await update(stepProgram, feeds, micro);

        assert.ok(norm(want.delta) > 0, `${name}: the big-batch step moved no parameter`);
        const rel = norm(got.delta.map((v, i) => v - want.delta[i])) / norm(want.delta);
        assert.ok(
          rel < 1e-6,
          `${name}: accumulated update differs from the big-batch one by ${rel} (relative)`,
        );
        assert.ok(
          Math.abs(got.loss - want.loss) < 1e-12 * Math.abs(want.loss),
          `${name}: loss ${got.loss} vs ${want.loss}`,
        );
        for (const p of [bigProgram, stepProgram, accumulator]) await p.release();
      });
    }
  });
}

Deno.test("accumulation: one micro-batch a step adds no accumulation graph or inputs", () => {
  const graph = buildStepGraph(micro, makeOptimizer("muon-adam"));
  assert.equal(graph.accumulate, null);
  assert.ok(!graph.model.inputs.some((i) => i.name.startsWith("accum/")));
  const accumulated = buildStepGraph(micro, makeOptimizer("muon-adam"), "float32", K);
  assert.ok(accumulated.accumulate);
  assert.ok(accumulated.flops > graph.flops && accumulated.flops < K * graph.flops);
  assert.throws(
    () => buildStepGraph(micro, makeOptimizer("muon-adam"), "float32", 0),
    /accum must be a positive integer/,
  );
});
