/**
 * The split step (src/train/split_step.ts, src/optim/separable.ts): under every optimizer preset, the
 * gradient graph, the global graph and the group graphs run one after another give the fused step's
 * parameters and state (1e-9 in norm), loss, gradient norm, scalars and diagnostics (1e-9 each), over steps
 * with accumulation, in float64.
 */
import assert from "node:assert/strict";
import { makeWorkload } from "../src/models/presets.ts";
import { makeOptimizer, presetNames } from "../src/optim/mod.ts";
import { splitUpdate } from "../src/optim/separable.ts";
import type { HostData } from "../src/runtime/backend.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { type Feed, Program } from "../src/runtime/program.ts";
import { Rng } from "../src/trace/seeds.ts";
import { Accumulator } from "../src/train/accumulate.ts";
import { initialFeeds } from "../src/train/loop.ts";
import { buildSplitGraphs, SplitStep } from "../src/train/split_step.ts";
import { batchInput, buildStepGraph, next, paramInput, stateInput } from "../src/train/step.ts";

const K = 2;
const STEPS = 3;
const SIZES = { layers: 2, heads: 2, width: 8, context: 4, vocab: 11, batch: 2 };
const workload = makeWorkload("nanogpt-tiny", SIZES);

/** STEPS x K micro-batches of random tokens and targets. */
function microBatches(): Record<string, Int32Array>[] {
  const rng = new Rng(11);
  const draw = () => Int32Array.from({ length: SIZES.batch * SIZES.context }, () => rng.int(SIZES.vocab));
  return Array.from({ length: STEPS * K }, () => ({ x: draw(), y: draw() }));
}

/** Float64 copies of fresh parameter feeds and zero state. */
function startFeeds(slots: Parameters<typeof initialFeeds>[1]): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  for (const [name, v] of Object.entries(initialFeeds(workload, slots, 5))) {
    feeds[name] = Float64Array.from(v as Float32Array);
  }
  return feeds;
}

const floats = (x: HostData) => x as Float64Array;

/** Largest |a - b| / max(|b|, floor) over two arrays; NaN where only one of a pair is NaN. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue; // diagnostics a norm does not define
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  }
  return worst;
}

/** Asserts ||got - want|| <= 1e-9 ||want|| for two float64 tensors (zero tensors must match exactly). */
function assertClose(got: Feed, want: Feed, what: string): void {
  const [a, b] = [got as Float64Array, want as Float64Array];
  assert.equal(a.length, b.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  assert.ok(
    Math.sqrt(diff) <= 1e-9 * Math.sqrt(norm),
    `${what} differs by ${Math.sqrt(diff / norm)} (relative)`,
  );
}

Deno.test(`split step: ${STEPS} steps of ${K} micro-batches equal the fused step under every preset (float64, native)`, async (t) => {
  const backend = await openBackend("native", { threads: 1 });
  for (const name of presetNames()) {
    await t.step(name, async () => {
      const optimizer = makeOptimizer(name, { lr: 0.02 });
      const fused = buildStepGraph(workload, optimizer, "float64", K);
      const program = await Program.load(backend, fused.model);
      const accumulator = (await Accumulator.load(backend, fused))!;
      const split = await SplitStep.load(backend, buildSplitGraphs(workload, optimizer, "float64", K));
      const want = startFeeds(fused.state);
      const got = startFeeds(fused.state);
      const batches = microBatches();
      const fusedStream = batches.values();
      const splitStream = batches.values();
      const stream = (it: IterableIterator<Record<string, Int32Array>>) => ({
        next: () => it.next().value as Record<string, HostData>,
      });
      for (let step = 0; step < STEPS; step++) {
        const lr = optimizer.lrAt(step, STEPS);
        await accumulator.run(want, stream(fusedStream));
        for (const [k, v] of Object.entries(fusedStream.next().value!)) want[batchInput(k)] = v;
        want.lr = new Float64Array([lr]);
        want.step = new Float64Array([step]);
        const out = await program.runToHost(want);
        const values = await split.run(got, stream(splitStream), { lr, step });

        assert.ok(
          Math.abs(values.loss - Number(out.loss[0])) <= 1e-12 * Math.abs(Number(out.loss[0])),
          `${name} step ${step}: loss`,
        );
        assert.ok(
          relDiff([values.gradNorm], floats(out.grad_norm)) < 1e-10,
          `${name} step ${step}: grad norm`,
        );
        assert.ok(
          relDiff(values.scalars, floats(out.scalars)) < 1e-9,
          `${name} step ${step}: scalars ${values.scalars} vs ${[...out.scalars]}`,
        );
        assert.ok(
          relDiff(values.diagnostics!, floats(out.diagnostics), 1e-9) < 1e-9,
          `${name} step ${step}: diagnostics`,
        );
        for (const p of workload.params) {
          const input = paramInput(p.name);
          want[input] = out[next(input)];
          assertClose(got[input], want[input], `${name} step ${step}: ${p.name}`);
        }
        for (const s of fused.state) {
          const input = stateInput(s.key);
          want[input] = out[next(input)];
          assertClose(got[input], want[input], `${name} step ${step}: state ${s.key}`);
        }
        accumulator.reset(want);
      }
      for (const p of [program, accumulator, split]) await p.release();
    });
  }
});

Deno.test("split step: each parameter is a group of its own, coupling scalars are cut", () => {
  const names = workload.params.map((p) => p.name);
  // AdamW's update is elementwise but for the global clip coefficient and the shared bias corrections.
  const adamw = splitUpdate(makeOptimizer("adamw"), workload.params);
  assert.deepEqual(adamw.groups.map((g) => g.params), names.map((n) => [n]));
  assert.equal(adamw.cuts, 1);
  assert.deepEqual(adamw.shared.sort(), ["adam/correction1", "adam/correction2"]);
  // The split builds the update unbatched, so Muon's Newton-Schulz runs matrix by matrix: one group each,
  // and no scalar couples its layers.
  const muon = splitUpdate(makeOptimizer("muon"), workload.params);
  assert.deepEqual(muon.groups.map((g) => g.params), names.map((n) => [n]));
  assert.equal(muon.cuts, 0);
  // MuonMax's product-norm step couples every layer through scalars only: it splits too, with cuts.
  const muonmax = splitUpdate(makeOptimizer("muonmax"), workload.params);
  assert.equal(muonmax.groups.length, names.length);
  assert.ok(muonmax.cuts > 0);
  // Momo's loss model is read only through its step size, a cut scalar: the global graph advances it.
  assert.ok(splitUpdate(makeOptimizer("scion-momo"), workload.params).shared.includes("momo/loss_model"));
});
