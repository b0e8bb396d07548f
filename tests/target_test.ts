import assert from "node:assert/strict";
import type { RunRecord } from "../src/report/assemble.ts";
import { firstStepAtOrBelow, stepsToTarget } from "../src/report/target.ts";

/** A finished lr-sweep run with validation losses at steps 10, 20, ... (null: diverged at that eval). */
function run(optimizer: string, lr: number, seed: number, val: number[]): RunRecord {
  return {
    dir: `/runs/${optimizer}-${lr}-${seed}`,
    manifest: { status: "done", diverged_step: null } as unknown as RunRecord["manifest"],
    config: {
      suite: "lr-sweep",
      workload: "w",
      optimizer,
      seed,
      steps: 10 * val.length,
      tags: {},
    } as unknown as RunRecord["config"],
    steps: { step: [], wallS: [], trainLoss: [], itemsPerS: [] },
    val: { step: val.map((_, i) => 10 * (i + 1)), loss: val },
    finalValLoss: val.at(-1)!,
    diverged: false,
    lr,
    timings: null,
  };
}

Deno.test("steps to target: the weakest best-LR loss sets the target; a seed that misses it is not reached", () => {
  const runs = [
    // fast: best LR 1e-3 (median final 2.0); reaches 2.5 at steps 20, 20, 30.
    run("fast", 1e-3, 0, [3.0, 2.4, 2.1, 2.0]),
    run("fast", 1e-3, 1, [3.0, 2.5, 2.2, 1.9]),
    run("fast", 1e-3, 2, [3.0, 2.6, 2.3, 2.1]),
    run("fast", 1e-2, 0, [3.5, 3.4, 3.3, 3.2]),
    // slow: best LR 1e-2, median final 2.5, which is the target; seed 2 never gets there.
    run("slow", 1e-2, 0, [3.2, 3.0, 2.7, 2.5]),
    run("slow", 1e-2, 1, [3.2, 2.9, 2.6, 2.4]),
    run("slow", 1e-2, 2, [3.3, 3.1, 2.9, 2.7]),
  ];
  const t = stepsToTarget(runs, "w")!;
  assert.equal(t.target, 2.5);
  assert.equal(t.setBy, "slow");
  const fast = t.rows.find((r) => r.optimizer === "fast")!;
  assert.equal(fast.bestLr, 1e-3);
  assert.deepEqual(fast.seeds, [{ seed: 0, step: 20 }, { seed: 1, step: 20 }, { seed: 2, step: 30 }]);
  assert.equal(fast.steps.estimate, 20);
  assert.equal(fast.steps.method, "bootstrap");
  const slow = t.rows.find((r) => r.optimizer === "slow")!;
  assert.deepEqual(slow.seeds.map((s) => s.step), [40, 40, null]);
  assert.equal(slow.steps.estimate, 40, "median of 40, 40 and not reached");
  assert.equal(slow.steps.ci![1], Infinity, "resamples with two misses do not reach it");
  assert.equal(stepsToTarget(runs, "other"), undefined);
});

Deno.test("firstStepAtOrBelow: the first finite evaluation at or below the target", () => {
  const r = run("a", 1e-3, 0, [3, NaN, 2, 1]);
  assert.equal(firstStepAtOrBelow(r, 2.5), 30);
  assert.equal(firstStepAtOrBelow(r, 0.5), null);
});
