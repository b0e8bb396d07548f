/** The reproduce budget: per-job seconds from the measured costs, shared among workers, timing jobs alone. */
import assert from "node:assert/strict";
import { estimateBudget, IDLE_COSTS, jobSeconds, SOLO_STEP_RATIO } from "../src/suite/budget.ts";
import { JOB_DEFAULTS } from "../src/train/job.ts";
import type { JobConfig } from "../src/contracts/job_config.ts";

const job = (over: Partial<JobConfig>): JobConfig =>
  ({ ...JOB_DEFAULTS, workload: "nanogpt-tiny", optimizer: "adamw", ...over }) as JobConfig;

Deno.test("budget: a job costs setup + steps + pairs + evaluations; workers share all but the timing job", () => {
  const c = IDLE_COSTS["nanogpt-tiny"];
  const sweep = job({ steps: 200, evalEvery: 20, evalBatches: 4 });
  assert.equal(jobSeconds(sweep), c.setupS + 200 * c.stepS + 10 * 4 * c.evalBatchS);
  const smooth = job({ steps: 120, smoothnessEvery: 10, smoothnessNorms: "scion", evalEvery: 1000, evalBatches: 1 });
  assert.equal(jobSeconds(smooth), c.setupS + 120 * c.stepS + 12 * c.pairS.scion + 1 * c.evalBatchS);
  const timing = job({ steps: 32, tags: { variants: "a,b,c" }, evalEvery: 1000, evalBatches: 1 });
  assert.equal(jobSeconds(timing), 3 * (c.setupS + 32 * c.stepS) + c.evalBatchS);
  assert.equal(jobSeconds(job({ workload: "nanogpt-124m" })), undefined);

  const pooled = jobSeconds(sweep)! + jobSeconds(smooth)!;
  const all = [sweep, smooth, timing, job({ workload: "nanogpt-124m" })];
  const two = estimateBudget(all, 2);
  assert.equal(two.unmeasured, 1);
  assert.ok(Math.abs(two.seconds - (pooled / 2 + jobSeconds(timing)!)) < 1e-9);
  const one = estimateBudget(all, 1);
  assert.ok(Math.abs(one.seconds - (pooled + jobSeconds(timing)!) * SOLO_STEP_RATIO) < 1e-9);
});
