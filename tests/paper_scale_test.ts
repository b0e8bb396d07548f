/**
 * Paper scale is the papers' setting (2^19-token steps by gradient accumulation, full-batch CNN, FineWeb),
 * listing it needs no data, and running it refuses Moby Dick and a missing shard folder before any job runs.
 * Also: an accumulating run records its step batch in the manifest.
 */
import assert from "node:assert/strict";
import { main, parseReproduceArgs } from "../src/cli/reproduce.ts";
import { readManifest } from "../src/trace/run_dir.ts";
import { runJob } from "../src/train/job.ts";
import { withTempDir } from "./helpers/temp.ts";

Deno.test("reproduce --scale paper --list-jobs: 524,288 tokens a step for every NanoGPT job, without FineWeb", async () => {
  const lines: string[] = [];
  assert.equal(
    await main(["--scale", "paper", "--list-jobs", "--data", "fineweb:/nonexistent"], (l) => lines.push(l)),
    0,
  );
  const jobs = lines.map((l) => JSON.parse(l));
  // The step-time suite's interleaved timing job times single micro-batch steps on synthetic batches.
  const text = jobs.filter((j) => j.id.includes("/nanogpt-") && j.suite !== "step-time");
  assert.ok(text.length > 10);
  for (const j of text) assert.equal(j.tokens_per_step, 524_288, j.id);
  assert.deepEqual(
    text.filter((j) => j.id.includes("nanogpt-124m-modded")).map((j) => [j.micro_batch, j.accum])[0],
    [32, 16],
  );
  const cnn = jobs.find((j) => j.id.startsWith("gluon-smoothness/cnn-airbench"));
  assert.equal(cnn.images_per_step, 50_000);
});

Deno.test("reproduce --scale paper refuses Moby Dick and a missing FineWeb folder, naming the fix", async () => {
  assert.throws(
    () => parseReproduceArgs(["--scale", "paper", "--data", "moby-dick"]),
    /Moby Dick.*--data fineweb:DIR/s,
  );
  await withTempDir(async (dir) => {
    const args = [
      "--scale",
      "paper",
      "--suite",
      "step-time",
      "--data",
      `fineweb:${dir}/none`,
      "--out",
      `${dir}/out`,
    ];
    await assert.rejects(() => main(args, () => {}), /does not exist.*--data fineweb:DIR/s);
    await assert.rejects(Deno.stat(`${dir}/out`), Deno.errors.NotFound);
  });
});

Deno.test("run --accum 4: the manifest records micro-batch, K and tokens per step", async () => {
  await withTempDir(async (dir) => {
    const outcome = await runJob(
      { workload: "nanogpt-tiny", optimizer: "muon-adam", steps: 1, accum: 4, evalBatches: 1 },
      { out: `${dir}/run` },
    );
    assert.equal(outcome.status, "done");
    const m = await readManifest(`${dir}/run`);
    assert.deepEqual((m.resolved as Record<string, unknown>).step_batch, {
      micro_batch: 12,
      accum: 4,
      tokens_per_step: 3072,
    });
    assert.equal((m.config as Record<string, unknown>).accum, 4);
  });
});
