import assert from "node:assert/strict";
import { SCALE_SETTINGS } from "../src/suite/scales.ts";
import type { RunRecord } from "../src/report/assemble.ts";
import { measureClaims } from "../src/report/measure.ts";
import { evaluateClaims } from "../src/report/verdicts.ts";
import { allClaims } from "./helpers/paper_claims.ts";

const tiny = SCALE_SETTINGS.tiny;

/** An interleaved timing job's run: `ms[variant][round]`, the load drifting upwards round by round. */
function timingRun(ms: Record<string, number[]>): RunRecord {
  const rows = Object.entries(ms).flatMap(([variant, perRound]) =>
    perRound.map((t, round) => ({ variant, t, round }))
  );
  return {
    dir: "/runs/step-time-interleaved",
    manifest: { status: "done", diverged_step: null } as unknown as RunRecord["manifest"],
    config: {
      suite: "step-time",
      workload: tiny.gpt,
      optimizer: "muon-adam",
      seed: 0,
      steps: 0,
      tags: {},
    } as unknown as RunRecord["config"],
    steps: { step: [], wallS: [], trainLoss: [], itemsPerS: [] },
    val: { step: [], loss: [] },
    finalValLoss: null,
    diverged: false,
    lr: NaN,
    timings: rows.map((r) => ({
      round: r.round,
      position: 0,
      variant: r.variant,
      msPerStep: r.t,
      load1: 2 + r.round,
    })),
  };
}

const ids = allClaims.map((c) => c.id).filter((id) => id.startsWith("crawshaw.timing."));

Deno.test("timing claims: judged on per-round pairs of an interleaved timing job, whatever the load drift", () => {
  // Load doubles the step time from round to round; within a round, stale is 5% and exact 11% slower.
  const load = [1, 2, 4, 8, 16];
  const run = timingRun({
    "muonadam": load.map((f) => 50 * f),
    "muonmax-momo-stale": load.map((f, i) => 50 * f * (1.05 + 0.002 * (i % 2))),
    "muonmax-momo-exact": load.map((f, i) => 50 * f * (1.11 - 0.002 * (i % 2))),
  });
  const { measurements, missing } = measureClaims(ids, {
    scale: "paper",
    settings: tiny,
    runs: [run],
    fits: [],
  });
  assert.deepEqual(missing, {});
  const stale = measurements["crawshaw.timing.stale_nuclear_overhead"].measurement;
  assert.equal(stale.kind, "scalar");
  const perRound = (stale as { values: number[] }).values;
  assert.deepEqual(
    perRound.map((x) => Number(x.toFixed(6))),
    [0.05, 0.052, 0.05, 0.052, 0.05],
    "per round, in order",
  );
  assert.match(
    measurements["crawshaw.timing.stale_nuclear_overhead"].setting!,
    /interleaved timing, 5 paired rounds/,
  );
  const verdicts = evaluateClaims(allClaims, measurements).filter((v) => ids.includes(v.id));
  const byId = Object.fromEntries(verdicts.map((v) => [v.id, v]));
  // Unpaired, the 16x load spread would swamp a 6% difference; paired by round it is clear.
  const cheaper = byId["crawshaw.timing.stale_cheaper_than_exact"];
  assert.equal(cheaper.stats!.method, "paired t");
  assert.ok(Math.abs(cheaper.stats!.effect - 1.11 / 1.05) < 0.005, "judged on the ratio exact / stale");
  assert.equal(cheaper.verdict, "holds", cheaper.reason);
  const overhead = byId["crawshaw.timing.exact_nuclear_overhead"];
  assert.ok(Math.abs(overhead.stats!.effect - 0.11) < 0.002, `${overhead.stats!.effect}`);
  assert.equal(overhead.verdict, "holds", overhead.reason);
});
