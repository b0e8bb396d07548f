/** The interleaved step-time benchmark: rounds in alternating order, paired samples, load recorded. */
import assert from "node:assert/strict";
import { interleavedStepTimes, MIN_TIMING_ROUNDS } from "../src/bench/interleaved.ts";
import { openBackend } from "../src/runtime/mod.ts";
import { pairedRatios, type TimingSample } from "../src/trace/timings.ts";

const TINY = { layers: 1, heads: 2, width: 16, context: 8, batch: 2 };
const VARIANTS = [
  { variant: "a", optimizer: "adamw", opt: {} },
  { variant: "b", optimizer: "muon-adam", opt: {} },
];

Deno.test("every round times every variant once, in alternating order, with the load average", async () => {
  const backend = await openBackend("native", { threads: 1 });
  const samples = await interleavedStepTimes(backend, "nanogpt-tiny", VARIANTS, {
    rounds: MIN_TIMING_ROUNDS,
    stepsPerSample: 2,
    warmupSteps: 1,
    model: TINY,
  });
  assert.equal(samples.length, 2 * MIN_TIMING_ROUNDS);
  for (let round = 0; round < MIN_TIMING_ROUNDS; round++) {
    const inRound = samples.filter((s) => s.round === round);
    assert.deepEqual(inRound.map((s) => s.variant), round % 2 ? ["b", "a"] : ["a", "b"]);
    assert.deepEqual(inRound.map((s) => s.position), [0, 1]);
  }
  assert.ok(samples.every((s) => s.msPerStep > 0 && Number.isFinite(s.load1) && s.load1 >= 0));
  assert.equal(pairedRatios(samples, "b", "a").length, MIN_TIMING_ROUNDS);
  await assert.rejects(
    interleavedStepTimes(backend, "nanogpt-tiny", VARIANTS, { rounds: 4, stepsPerSample: 1, warmupSteps: 1 }),
    /rounds must be an integer >= 5/,
  );
});

Deno.test("pairedRatios: per round, a over b, rounds that lack either left out", () => {
  const s = (round: number, variant: string, msPerStep: number): TimingSample => ({
    round,
    position: 0,
    variant,
    msPerStep,
    load1: 0,
  });
  const samples = [s(0, "a", 2), s(0, "b", 4), s(1, "b", 5), s(1, "a", 10), s(2, "a", 1)];
  assert.deepEqual(pairedRatios(samples, "a", "b"), [0.5, 2]);
});
