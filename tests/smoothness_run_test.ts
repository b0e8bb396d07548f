/** Live smoothness measurement: a tiny uScion run with --smoothness-every yields L_hat rows for every parameter and a fit. */
import assert from "node:assert/strict";
import { readColumns } from "../src/trace/arrow_read.ts";
import { runJob } from "../src/train/job.ts";
import { fitL0L1 } from "../src/smoothness/fit.ts";
import { layerNorms } from "../src/smoothness/norms.ts";
import { measurePair } from "../src/smoothness/estimator.ts";
import { makeWorkload } from "../src/models/presets.ts";
import { withTempDir } from "./helpers/temp.ts";

Deno.test("a uScion run with smoothnessEvery logs L_hat and ||g||* for every parameter at every pair, and they fit", () =>
  withTempDir(async (root) => {
    const run = await runJob({
      workload: "nanogpt-tiny-modded",
      optimizer: "uscion",
      model: { layers: 1, heads: 2, width: 16, context: 16, batch: 4 },
      steps: 24,
      threads: 1,
      smoothnessEvery: 4,
      evalBatches: 1,
    }, { out: `${root}/s` });
    const rows = await readColumns(run.dir, "layers");
    const layers = new Set(rows.layer as string[]);
    const measured = (rows.l_hat as (number | null)[]).map((v, i) => ({ v, i })).filter((r) => r.v !== null);
    // Pairs (3,4), (7,8), ..., (19,20): five measurements per parameter, on rows 4, 8, ..., 20.
    assert.equal(measured.length, 5 * layers.size);
    for (const { i } of measured) {
      assert.equal((rows.step as number[])[i] % 4, 0);
      for (const c of ["l_hat", "l_hat_ns", "grad_dual_next", "grad_dual_ns"]) {
        const v = rows[c][i] as number;
        assert.ok(Number.isFinite(v) && v > 0, `${c} of ${rows.layer[i]} at step ${rows.step[i]}: ${v}`);
      }
    }
    for (const layer of layers) {
      const idx = measured.filter(({ i }) => rows.layer[i] === layer).map(({ i }) => i);
      const fit = fitL0L1(
        idx.map((i) => rows.grad_dual_next[i] as number),
        idx.map((i) => rows.l_hat[i] as number),
      );
      assert.ok(
        fit.L1 >= 1e-6 && fit.L0 >= 1e-6 && Number.isFinite(fit.mseRel),
        `${layer}: ${JSON.stringify(fit)}`,
      );
    }
  }));

Deno.test("measurePair in Scion's hidden-layer norm matches the formula on a diagonal example", () => {
  // X and g "diagonal" 8x2 (c_fc: out 8, in 2): singular values are the diagonal entries' absolute values.
  const spec = makeWorkload("nanogpt-tiny", { layers: 1, heads: 1, width: 2, context: 2, batch: 1, vocab: 3 })
    .params
    .find((p) => p.name === "h.0.mlp.c_fc")!;
  assert.deepEqual(spec.shape, [8, 2]);
  const [out, inp] = spec.shape;
  const diag = (a: number, b: number) => {
    const m = new Float32Array(out * inp);
    m[0] = a;
    m[inp + 1] = b;
    return m;
  };
  const norms = layerNorms(spec, "scion");
  const m = measurePair(norms, diag(0, 0), diag(1, 1), diag(0.5, -0.25), diag(4, -2));
  const c = Math.sqrt(out / inp);
  // c = sqrt(out/in) = 2. ||dg||_* = 3 + 3 = 6 -> dual 6c; ||dX||_2 = 0.5 -> primal 0.5/c; ||g1||_* = 4 + 2 -> 6c.
  assert.ok(Math.abs(m.l_hat - (6 * c) / (0.5 / c)) < 1e-9);
  assert.ok(Math.abs(m.grad_dual_next - 6 * c) < 1e-9);
  // NS5's nuclear-norm estimate is within [0.5, 1.5] of the exact one.
  assert.ok(m.grad_dual_ns > 0.5 * m.grad_dual_next && m.grad_dual_ns < 1.5 * m.grad_dual_next);
});
