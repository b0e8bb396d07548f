/**
 * Seeds by default and data seeds apart from them: the seed list a suite expands over, and runs whose data
 * order varies alone (the initialisation stays) while a run without a data seed keeps its trajectory.
 */
import assert from "node:assert/strict";
import { commandJobs, parseReproduceArgs, seedsText } from "../src/cli/reproduce.ts";
import { SCALE_SETTINGS } from "../src/suite/scales.ts";
import { DEFAULT_SEEDS, seedFields, seedLabel, seedList } from "../src/suite/seeds.ts";
import { readColumns } from "../src/trace/arrow_read.ts";
import { readManifest } from "../src/trace/run_dir.ts";
import type { JobConfig } from "../src/contracts/job_config.ts";
import { runJob } from "../src/train/job.ts";
import { withTempDir } from "./helpers/temp.ts";
import { tinyGptJob } from "./helpers/tiny_job.ts";

Deno.test("seedList: consecutive init seeds, data seeds only when given; labels and config fields", () => {
  assert.ok(DEFAULT_SEEDS >= 3);
  assert.deepEqual(seedList(3), [{ seed: 0 }, { seed: 1 }, { seed: 2 }]);
  assert.deepEqual(seedList(2, 4, 10), [{ seed: 4, dataSeed: 10 }, { seed: 5, dataSeed: 11 }]);
  assert.equal(seedLabel({ seed: 2 }), "seed=2");
  assert.equal(seedLabel({ seed: 2, dataSeed: 7 }), "seed=2/data-seed=7");
  assert.deepEqual(Object.keys(seedFields({ seed: 1, dataSeed: undefined })), ["seed"]);
  assert.throws(() => seedList(0), /--seeds must be a positive integer/);
  assert.throws(() => seedList(1, 0, -1), /--data-seed must be an integer >= 0/);
});

const BASE = tinyGptJob({
  optimizer: "adamw",
  steps: 4,
  evalEvery: 4,
  evalBatches: 1,
  layersEvery: 4,
  checkpointEvery: 4,
});

Deno.test("a data seed varies the data order alone; without one the data order follows the seed", () =>
  withTempDir(async (root) => {
    const losses = async (name: string, config: Partial<JobConfig>) => {
      const outcome = await runJob({ ...BASE, ...config }, { out: `${root}/${name}` });
      return {
        loss: new Float64Array((await readColumns(outcome.dir, "steps")).train_loss as number[]),
        manifest: await readManifest(outcome.dir),
      };
    };
    const plain = await losses("plain", { seed: 1 });
    const same = await losses("same", { seed: 1, dataSeed: 1 });
    const otherData = await losses("other-data", { seed: 1, dataSeed: 2 });
    const otherInitSameData = await losses("other-init", { seed: 2, dataSeed: 1 });
    assert.deepEqual(same.loss, plain.loss, "data seed = seed is the default data order");
    assert.notDeepEqual(otherData.loss, plain.loss);
    assert.notDeepEqual(otherInitSameData.loss, plain.loss);
    assert.equal(plain.manifest.seeds.data_seed, 1);
    assert.equal(otherData.manifest.seeds.data_seed, 2);
    assert.equal(otherData.manifest.seeds.init, 1);
    assert.notEqual(
      same.manifest.config_hash,
      plain.manifest.config_hash,
      "a given data seed is in the config",
    );
    // The derived data-stream seed follows the data seed, not the initialisation seed.
    assert.notEqual(otherData.manifest.seeds.data, plain.manifest.seeds.data);
    assert.equal(otherInitSameData.manifest.seeds.data, plain.manifest.seeds.data);
  }));

Deno.test("reproduce seeds: each suite's default at the scale unless --seeds N is given for all", async () => {
  const seedsBySuite = async (argv: string[]) => {
    const counts: Record<string, Set<number>> = {};
    for (const job of await commandJobs(parseReproduceArgs(argv)!)) {
      (counts[job.config.suite!] ??= new Set()).add(job.config.seed!);
    }
    return Object.fromEntries(Object.entries(counts).map(([suite, seeds]) => [suite, seeds.size]));
  };
  const small = SCALE_SETTINGS.small.gluonSeeds;
  assert.ok(small > DEFAULT_SEEDS);
  assert.deepEqual(await seedsBySuite(["--scale", "small"]), {
    "gluon-smoothness": small,
    "lr-sweep": DEFAULT_SEEDS,
    "gluon-vs-tuned": small,
    "step-time": 1,
  });
  assert.deepEqual(await seedsBySuite(["--scale", "small", "--seeds", "2"]), {
    "gluon-smoothness": 2,
    "lr-sweep": 2,
    "gluon-vs-tuned": 2,
    "step-time": 1,
  });
  assert.equal(
    seedsText(parseReproduceArgs(["--scale", "small"])!),
    `${DEFAULT_SEEDS} seeds (gluon-smoothness: ${small}, gluon-vs-tuned: ${small})`,
  );
  assert.equal(seedsText(parseReproduceArgs(["--scale", "tiny"])!), `${DEFAULT_SEEDS} seeds`);
  assert.equal(seedsText(parseReproduceArgs(["--seeds", "4", "--scale", "small"])!), "4 seeds");
});
