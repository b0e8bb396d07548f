import assert from "node:assert/strict";
import { analyzeBasin, type BasinPoint, combineSeeds, DEFAULT_BASIN_LOSS_TOL } from "../src/stats/basin.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const p = (lr: number, loss: number | null): BasinPoint => ({ lr, loss });

Deno.test("analyzeBasin: edges interpolated in log10(lr), diverged points close an edge (checked by hand)", () => {
  // best 3.0 at 1e-3; threshold 3.3. Low edge between 1e-4 (4.0) and 1e-3 (3.0): 0.7 of the way from
  // 1e-4, i.e. 10^-3.3. High side: 1e-2 (3.2) is inside, 1e-1 diverged, so the edge is 1e-2.
  const a = analyzeBasin([p(1e-4, 4.0), p(1e-3, 3.0), p(1e-2, 3.2), p(1e-1, null)], 0.1)!;
  close(a.threshold, 3.3);
  close(Math.log10(a.lrLow), -3.3);
  assert.equal(a.lrHigh, 1e-2);
  close(a.width, 1.3);
  assert.deepEqual([a.bestLr, a.bestLoss, a.lowEdgeOpen, a.highEdgeOpen], [1e-3, 3.0, false, false]);
  assert.deepEqual([a.gridLow, a.gridHigh], [1e-4, 1e-1]);

  // High edge halfway between 1e-3 (3.0) and 1e-2 (3.6): (3.6 - 3.3) / (3.6 - 3.0) = 0.5 -> 10^-2.5;
  // the basin starts at the smallest LR of the grid, so it is open below.
  const b = analyzeBasin([p(1e-3, 3.0), p(1e-2, 3.6)], 0.1)!;
  assert.equal(b.lrLow, 1e-3);
  close(Math.log10(b.lrHigh), -2.5);
  close(b.width, 0.5);
  assert.deepEqual([b.lowEdgeOpen, b.highEdgeOpen], [true, false]);

  // The basin is contiguous: a good LR beyond a bad one does not count, and the edge is closed.
  const d = analyzeBasin([p(1e-4, 3.0), p(1e-3, 5.0), p(1e-2, 3.01)], 0.01)!;
  assert.equal(d.bestLr, 1e-4);
  close(Math.log10(d.lrHigh), -4 + (3.03 - 3.0) / (5.0 - 3.0)); // 3% of the way to 1e-3
  assert.deepEqual([d.lowEdgeOpen, d.highEdgeOpen], [true, false]);
});

Deno.test("analyzeBasin: the best LR at the grid's end opens that edge; a single LR is open on both", () => {
  // cnn-tiny's AdamW pattern: loss still falling at the largest LR.
  const up = analyzeBasin([p(1e-4, 2.0), p(1e-3, 1.5), p(1e-2, 1.2)])!;
  assert.equal(up.bestLr, 1e-2);
  assert.deepEqual([up.lowEdgeOpen, up.highEdgeOpen], [false, true]);
  const one = analyzeBasin([p(1e-3, 2.0)])!;
  assert.deepEqual([one.lowEdgeOpen, one.highEdgeOpen, one.width], [true, true, 0]);
  // In-basin (not best) point at the grid's end also opens it.
  const flat = analyzeBasin([p(1e-4, 2.05), p(1e-3, 2.0), p(1e-2, 2.01)], 0.05)!;
  assert.deepEqual([flat.lowEdgeOpen, flat.highEdgeOpen], [true, true]);
  close(flat.width, 2);
});

Deno.test("analyzeBasin: seeds combine by the median per LR; diverged counts as +Infinity", () => {
  // 1e-3: median of 3.1, 2.9, 5.0 is 3.1 (the outlier seed does not move it); 1e-2: two of three seeds
  // diverged -> diverged; 1e-4: one of three diverged -> median of 3.0, 3.2, inf = 3.2.
  const pts = [
    p(1e-3, 3.1),
    p(1e-3, 2.9),
    p(1e-3, 5.0),
    p(1e-2, 3.0),
    p(1e-2, null),
    p(1e-2, NaN),
    p(1e-4, 3.0),
    p(1e-4, 3.2),
    p(1e-4, Infinity),
  ];
  const grid = combineSeeds(pts);
  assert.deepEqual(grid.map((g) => [g.lr, g.loss, g.diverged, g.seeds]), [
    [1e-4, 3.2, false, 3],
    [1e-3, 3.1, false, 3],
    [1e-2, Infinity, true, 3],
  ]);
  const c = analyzeBasin(pts, 0.1)!;
  assert.deepEqual([c.bestLr, c.bestLoss, c.lrLow, c.lrHigh], [1e-3, 3.1, 1e-4, 1e-3]);
  assert.deepEqual([c.lowEdgeOpen, c.highEdgeOpen], [true, false]);
  // Two seeds, one diverged: the median is +Infinity, so the LR counts as diverged.
  assert.equal(combineSeeds([p(1e-3, 3), p(1e-3, null)])[0].diverged, true);
});

Deno.test("analyzeBasin: all diverged, default tolerance, bad input", () => {
  assert.equal(analyzeBasin([p(1e-3, null), p(1e-2, NaN)]), undefined);
  assert.deepEqual(
    analyzeBasin([p(1e-3, 3), p(1e-2, 3.1)]),
    analyzeBasin([p(1e-3, 3), p(1e-2, 3.1)], DEFAULT_BASIN_LOSS_TOL),
  );
  assert.throws(() => analyzeBasin([p(0, 3)]), /learning rates must be finite and > 0/);
  assert.throws(() => analyzeBasin([p(1e-3, 3)], -1), /lossTol must be >= 0/);
});
