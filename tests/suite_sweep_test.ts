/**
 * LR grids that bracket the optimum: extension at open basin edges, rounds computed from the runs present,
 * the cap, and the job list's stable order.
 */
import assert from "node:assert/strict";
import { SUITES } from "../src/suite/definitions/mod.ts";
import { SCALE_SETTINGS } from "../src/suite/scales.ts";
import { expandSuites } from "../src/suite/jobs.ts";
import { seedList } from "../src/suite/seeds.ts";
import { maxExtensionJobs, sweepExtensions, type SweepOutcome, withExtensions } from "../src/suite/sweep.ts";
import type { SuiteJob } from "../src/suite/types.ts";

/** A 3-LR sweep (0.1, 0.3, 1) of 2 seeds, factor 3, cap 2. */
function sweep(): SuiteJob[] {
  return [0.1, 0.3, 1].flatMap((lr, i) =>
    [0, 1].map((seed) => ({
      id: `s/lr=${lr}/seed=${seed}`,
      sweep: { group: "s", lr, factor: 3, cap: 2, extension: 0 },
      config: { workload: "w", optimizer: "o", seed, opt: { lr }, tags: { lr_index: i } },
    }))
  );
}

/** Outcomes from a loss curve over log10(lr); `diverged` above an lr. */
function curve(loss: (lr: number) => number, divergeAbove = Infinity) {
  return (job: SuiteJob): Promise<SweepOutcome | undefined> =>
    Promise.resolve({ loss: job.sweep!.lr > divergeAbove ? null : loss(job.sweep!.lr) });
}

Deno.test("a basin closed on both sides adds nothing", async () => {
  const bowl = curve((lr) => 2 + (Math.log10(lr) - Math.log10(0.3)) ** 2);
  assert.deepEqual(await sweepExtensions(sweep(), bowl), []);
});

Deno.test("the best LR at the top edge extends the grid upwards, each seed, lr x factor, until closed", async () => {
  // Minimum at lr = 3: the grid (0.1 .. 1) is open at the top; one step (3) is still open; 9 closes it.
  const loss = curve((lr) => 2 + 2 * (Math.log10(lr) - Math.log10(3)) ** 2);
  const first = await sweepExtensions(sweep(), loss);
  assert.deepEqual(first.map((j) => j.id), ["s/lr=3/seed=0", "s/lr=3/seed=1"]);
  assert.deepEqual(first.map((j) => [j.config.opt!.lr, j.config.seed, j.sweep!.extension]), [[3, 0, 1], [
    3,
    1,
    1,
  ]]);
  assert.deepEqual(first.map((j) => j.config.tags), [{ lr_index: 3, lr_extension: 1 }, {
    lr_index: 3,
    lr_extension: 1,
  }]);
  const all = await withExtensions(sweep(), loss);
  assert.deepEqual(all.slice(0, 6), sweep(), "the base jobs keep their positions");
  assert.deepEqual(all.slice(6).map((j) => j.sweep!.lr), [3, 3, 9, 9]);
});

Deno.test("the cap stops an edge that never closes", async () => {
  const falling = curve((lr) => 3 - Math.log10(lr));
  const all = await withExtensions(sweep(), falling);
  assert.deepEqual(all.slice(6).map((j) => j.sweep!.lr), [3, 3, 9, 9]);
});

Deno.test("a diverged run closes the edge; every LR diverged extends downwards", async () => {
  const diverging = curve((lr) => 3 - Math.log10(lr), 0.5);
  assert.deepEqual(await sweepExtensions(sweep(), diverging), []);
  const allDiverged = curve(() => 1, 0);
  assert.deepEqual((await withExtensions(sweep(), allDiverged)).slice(6).map((j) => j.sweep!.lr), [
    0.0333333,
    0.0333333,
    0.0111111,
    0.0111111,
  ]);
});

Deno.test("a sweep with an unfinished run does not extend yet", async () => {
  const loss = curve((lr) => 3 - Math.log10(lr));
  const partial = (job: SuiteJob) =>
    job.config.seed === 1 && job.sweep!.lr === 1 ? Promise.resolve(undefined) : loss(job);
  assert.deepEqual(await sweepExtensions(sweep(), partial), []);
});

Deno.test("maxExtensionJobs: the cap on both sides, less what was added", async () => {
  assert.equal(maxExtensionJobs(sweep()).length, 2 * 2 * 2);
  const once = [...sweep(), ...await sweepExtensions(sweep(), curve((lr) => 3 - Math.log10(lr)))];
  assert.equal(maxExtensionJobs(once).length, 3 * 2);
});

Deno.test("the lr-sweep suite marks its jobs as sweeps with the scale's cap and the grid's factor", async () => {
  const jobs = (await expandSuites(SUITES, "tiny", seedList(3))).filter((j) => j.config.suite === "lr-sweep");
  assert.ok(jobs.length > 0 && jobs.every((j) => j.sweep && j.sweep.extension === 0));
  assert.ok(jobs.every((j) => j.sweep!.cap === SCALE_SETTINGS.tiny.lrExtensionCap && j.sweep!.factor === 3));
  assert.ok(
    jobs.every((j) =>
      j.id === `${j.sweep!.group}/lr=${Number(j.sweep!.lr.toPrecision(3))}/seed=${j.config.seed}`
    ),
  );
});
