/** The scaling table's helpers: the fitted exponent of cost against width, and the widths' head counts. */
import assert from "node:assert/strict";
import { fitExponent, SCALING_WIDTHS, scalingModel } from "../src/bench/scaling.ts";
import { makeWorkload } from "../src/models/presets.ts";

Deno.test("fitExponent recovers the exponent of a power law and a least-squares slope of noisy costs", () => {
  const widths = [128, 256, 384, 512, 768];
  assert.ok(Math.abs(fitExponent(widths, widths.map((w) => 3e-4 * w ** 2)) - 2) < 1e-12);
  assert.ok(Math.abs(fitExponent(widths, widths.map((w) => 7 * w ** 1.5)) - 1.5) < 1e-12);
  // Two points: the slope through them.
  assert.ok(Math.abs(fitExponent([100, 200], [10, 80]) - 3) < 1e-12);
});

Deno.test("fitExponent rejects mismatched or too few pairs", () => {
  assert.throws(() => fitExponent([128], [1]), /two or more/);
  assert.throws(() => fitExponent([128, 256], [1]), /two or more/);
});

Deno.test("every scaling width builds nanogpt-tiny with heads of 32 dimensions", () => {
  for (const width of SCALING_WIDTHS) {
    const w = makeWorkload("nanogpt-tiny", scalingModel(width));
    const cfg = w.config as Record<string, number>;
    assert.equal(cfg.width, width);
    assert.equal(cfg.width / cfg.heads, 32);
  }
});
