/** Sessions kept between runs of one process: reused for the same graph, with unchanged trajectories. */
import assert from "node:assert/strict";
import { SessionCache } from "../src/runtime/mod.ts";
import { readColumns } from "../src/trace/arrow_read.ts";
import { type JobInput, runJob } from "../src/train/job.ts";

const TINY_GPT = { layers: 1, heads: 2, width: 16, context: 8, batch: 2 };
const job = (optimizer: string, seed: number, lr: number): JobInput => ({
  workload: "nanogpt-tiny",
  optimizer,
  model: TINY_GPT,
  opt: { lr },
  steps: 5,
  seed,
  threads: 1,
  evalEvery: 5,
  evalBatches: 1,
  layersEvery: 2,
});

Deno.test("session cache: a second run of the same graph reuses every session and trains the same losses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lmo-session-cache-" });
  const sessions = new SessionCache(4);
  try {
    const losses = async (input: JobInput, name: string, cache?: SessionCache) => {
      const outcome = await runJob(input, { out: `${dir}/${name}`, sessions: cache });
      return { steps: Array.from((await readColumns(outcome.dir, "steps")).train_loss), val: outcome.valLoss };
    };
    await losses(job("muon-adam", 0, 1e-3), "a", sessions);
    const kept = sessions.size;
    assert.ok(kept >= 3, `step, lean step and evaluation sessions kept (${kept})`);
    // Another seed and learning rate: the same graphs, so no new session.
    const cached = await losses(job("muon-adam", 1, 3e-3), "b", sessions);
    assert.equal(sessions.size, kept);
    assert.deepEqual(cached, await losses(job("muon-adam", 1, 3e-3), "b-fresh"));
    // Another optimizer builds other graphs; the capacity evicts the least recently used.
    const other = await losses(job("adamw", 0, 1e-3), "c", sessions);
    assert.equal(sessions.size, 4);
    assert.deepEqual(other, await losses(job("adamw", 0, 1e-3), "c-fresh"));
  } finally {
    await sessions.releaseAll();
    assert.equal(sessions.size, 0);
    await Deno.remove(dir, { recursive: true });
  }
});
