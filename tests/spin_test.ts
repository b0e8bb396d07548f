/** The intra-op spin policy (src/runtime/spin.ts) and its effect on the native backend. */
import assert from "node:assert/strict";
import { openBackend, SPIN_ENV } from "../src/runtime/mod.ts";
import { idleCores, parseSpinPolicy, resolveSpinning, spinWhenIdle } from "../src/runtime/spin.ts";

Deno.test("auto spins only with several threads and a core idle for each", () => {
  assert.equal(spinWhenIdle(1, 2), false); // one thread has no workers to spin
  assert.equal(spinWhenIdle(2, 2), true);
  assert.equal(spinWhenIdle(2, 1.6), true); // sampling noise
  assert.equal(spinWhenIdle(2, 1.0), false); // one of two cores busy: block
  assert.equal(spinWhenIdle(4, 3.4), false);
});

Deno.test("policies parse, and a bad one names the valid ones", async () => {
  assert.equal(parseSpinPolicy("on"), "on");
  assert.throws(() => parseSpinPolicy("yes", "--spin"), /unknown --spin "yes"; use one of: auto, on, off/);
  assert.equal(await resolveSpinning("on", 1), true);
  assert.equal(await resolveSpinning("off", 8), false);
  assert.equal(await resolveSpinning("auto", 1), false);
});

Deno.test("idle cores are read between none and every core", async () => {
  const idle = await idleCores(50);
  assert.ok(idle >= 0 && idle <= navigator.hardwareConcurrency + 1e-9, `idle ${idle}`);
});

Deno.test("the native backend records the policy it was opened with, and the environment sets it", async () => {
  assert.equal((await openBackend("native", { threads: 2, spin: "on" })).info().spinning, true);
  assert.equal((await openBackend("native", { threads: 2, spin: "off" })).info().spinning, false);
  Deno.env.set(SPIN_ENV, "on");
  try {
    assert.equal((await openBackend("native", { threads: 2 })).info().spinning, true);
    Deno.env.set(SPIN_ENV, "sometimes");
    await assert.rejects(openBackend("native", { threads: 2 }), /unknown LMO_INTRA_OP_SPIN "sometimes"/);
  } finally {
    Deno.env.delete(SPIN_ENV);
  }
});
