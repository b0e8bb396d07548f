/** The regression check: unchanged code matches the committed baselines; a slight optimizer change is caught. */
import assert from "node:assert/strict";
import { makeOptimizer } from "../src/optim/mod.ts";
import { type Baseline, baselinePath, compareBaselines, formatDifference, runCheck } from "../src/suite/check.ts";

const SAMPLE = ["nanogpt-tiny/muon-adam", "nanogpt-tiny/muonmax-momo", "cnn-tiny/uscion"];

async function baseline(backend: "native" | "wasm"): Promise<Baseline> {
  return JSON.parse(await Deno.readTextFile(baselinePath(backend)));
}

function restrict(b: Baseline, ids: string[]): Baseline {
  return { ...b, runs: Object.fromEntries(ids.map((id) => [id, b.runs[id]])) };
}

for (const backend of ["native", "wasm"] as const) {
  Deno.test(`check: unchanged code matches the ${backend} baseline`, async () => {
    const old = await baseline(backend);
    const now = await runCheck({ backend, threads: old.threads, only: SAMPLE });
    assert.deepEqual(compareBaselines(restrict(old, SAMPLE), now), []);
  });
}

Deno.test("check: a slightly changed optimizer fails and names the first diverging step and layer", async () => {
  const old = await baseline("native");
  const lr = Number(makeOptimizer("muon-adam").hyper.lr) * 1.01;
  const now = await runCheck({ backend: "native", threads: old.threads, only: ["nanogpt-tiny/muon-adam"], perturb: { "muon-adam": { lr } } });
  const diffs = compareBaselines(restrict(old, ["nanogpt-tiny/muon-adam"]), now);
  assert.equal(diffs.length, 1);
  const [d] = diffs;
  // Step 0's loss comes before any update and still agrees; its update (the radius lr x scale) is 1% longer.
  assert.equal(d.step, 0);
  assert.notEqual(d.where, "loss");
  assert.ok(d.column === "update_primal" || d.column === "radius", d.column);
  assert.ok(Math.abs(d.now! / d.baseline! - 1.01) < 1e-3, `${d.now} / ${d.baseline}`);
  assert.ok(d.baseline !== null && d.now !== null && d.baseline !== d.now);
  assert.match(formatDifference(d), /^nanogpt-tiny\/muon-adam: first divergence at step \d+, .*baseline .* vs now /);
});
