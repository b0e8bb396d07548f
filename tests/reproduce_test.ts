/**
 * `deno task reproduce`: deterministic job lists, shards that partition them, reuse of finished runs, fits
 * handed to dependent jobs, and resuming or restarting interrupted runs.
 */
import assert from "node:assert/strict";
import { SUITES } from "../src/suite/definitions/mod.ts";
import {
  jobSlug,
  jobsWithDependencies,
  main,
  parseReproduceArgs,
  reproduceJobs,
  runDirOf,
  sweepOutcomeIn,
} from "../src/cli/reproduce.ts";
import { parseSmoothnessFit } from "../src/optim/gluon.ts";
import { fitRun } from "../src/smoothness/run_fit.ts";
import { expandSuites, fullConfig, shardJobs } from "../src/suite/jobs.ts";
import { DEFAULT_SEEDS, seedList } from "../src/suite/seeds.ts";
import { withExtensions } from "../src/suite/sweep.ts";
import type { SuiteJob } from "../src/suite/types.ts";
import { readColumns } from "../src/trace/arrow_read.ts";
import { configHash } from "../src/trace/config_hash.ts";
import { readManifest } from "../src/trace/run_dir.ts";
import { checkpointPath } from "../src/train/checkpoint.ts";

const REPO = new URL("../", import.meta.url);
const TINY_GPT = { layers: 1, heads: 2, width: 16, context: 8, batch: 2 };

/** Runs `main` and returns its exit code and printed lines. */
async function capture(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, lines };
}

/** id -> config hash of `--list-jobs` lines. */
function hashesById(lines: string[]): Map<string, string> {
  return new Map(lines.map((l) => JSON.parse(l)).map((j) => [j.id, j.config_hash]));
}

/** An output folder that does not exist: job lists with no finished runs, so no LR-extension rounds yet. */
const EMPTY_OUT = `${Deno.env.get("TMPDIR") ?? "/tmp"}/lmo-no-runs-${crypto.randomUUID()}`;

/** `--list-jobs` with an empty --out. */
const listJobs = (argv: string[]) => capture(["--list-jobs", "--out", EMPTY_OUT, ...argv]);

Deno.test("--list-jobs: one JSON line per job, the same every time, with the command line's overrides", async () => {
  const first = await listJobs([]);
  const second = await listJobs([]);
  assert.equal(first.code, 0);
  assert.deepEqual(first.lines, second.lines);
  const expected = await expandSuites(SUITES, "tiny", seedList(DEFAULT_SEEDS));
  const parsed = first.lines.map((l) => JSON.parse(l));
  assert.deepEqual(parsed.map((j) => j.id), expected.map((j) => j.id));
  assert.deepEqual(parsed.map((j) => j.position), expected.map((_, i) => i));
  // The listed hash is the hash of the full config the job trains with (defaults: native, 2 workers of
  // 1 thread each; one worker gets the backend's 2 threads).
  const single = hashesById((await listJobs(["--workers", "1"])).lines);
  for (const [i, job] of expected.entries()) {
    assert.equal(parsed[i].config_hash, await configHash({ ...fullConfig(job), backend: "native", threads: 1 }));
    assert.equal(single.get(job.id), await configHash({ ...fullConfig(job), backend: "native", threads: 2 }));
  }
  const wasm = hashesById((await listJobs(["--backend", "wasm", "--threads", "1"])).lines);
  for (const [i, job] of expected.entries()) {
    assert.equal(wasm.get(job.id), await configHash({ ...fullConfig(job), backend: "wasm", threads: 1 }));
    assert.notEqual(wasm.get(job.id), parsed[i].config_hash);
  }
  const seeds = (await listJobs(["--suite", "lr-sweep", "--seeds", "2"])).lines.map((l) => JSON.parse(l));
  assert.ok(seeds.every((j) => j.suite === "lr-sweep"));
  assert.deepEqual(new Set(seeds.map((j) => j.seed)), new Set([0, 1]));
  assert.ok(seeds.every((j) => j.data_seed === undefined), "no data seed unless given");
  // --seed shifts the initialisation seeds; --data-seed varies the data order apart from them.
  const shifted = (await listJobs(["--suite", "lr-sweep", "--seeds", "2", "--seed", "5", "--data-seed", "0"]))
    .lines.map((l) => JSON.parse(l));
  assert.deepEqual(new Set(shifted.map((j) => `${j.seed}/${j.data_seed}`)), new Set(["5/0", "6/1"]));
  assert.match(shifted[0].id, /\/seed=5\/data-seed=0$/);
});

Deno.test("a job without --data-seed keeps the config (and hash) it had before data seeds existed", async () => {
  const [job] = await expandSuites(SUITES, "tiny", seedList(1));
  assert.equal("dataSeed" in fullConfig(job), false);
  const [given] = await expandSuites(SUITES, "tiny", seedList(1, 0, 0));
  assert.equal(fullConfig(given).dataSeed, 0);
  assert.notEqual(await configHash(fullConfig(given)), await configHash(fullConfig(job)));
});

Deno.test("--shard: the shards 0/3, 1/3, 2/3 partition the unsharded job list (ids and hashes)", async () => {
  const all = hashesById((await listJobs([])).lines);
  const union = new Map<string, string>();
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const shard = hashesById((await listJobs(["--shard", `${i}/3`])).lines);
    count += shard.size;
    for (const [id, hash] of shard) union.set(id, hash);
  }
  assert.equal(count, all.size, "no job is in two shards");
  assert.deepEqual([...union.entries()].sort(), [...all.entries()].sort());
});

Deno.test("a shard also runs the earlier jobs whose fit its jobs need", async () => {
  const all = await expandSuites(SUITES, "tiny", seedList(1));
  const gluon = all.find((j) => j.fitFrom)!;
  const mine = [gluon];
  const withDeps = jobsWithDependencies(all, mine);
  assert.deepEqual(withDeps.map((j) => j.id), [gluon.fitFrom, gluon.id]);
  assert.deepEqual(jobsWithDependencies(all, shardJobs(all, { index: 0, count: 1 })), all);
  assert.throws(() => jobsWithDependencies([gluon], [gluon]), /needs the fit of .*not in the job list/);
});

Deno.test("command-line errors name the flag", () => {
  assert.throws(() => parseReproduceArgs(["--scale", "huge"]), /--scale must be one of tiny, small, paper/);
  assert.throws(() => parseReproduceArgs(["--shard", "3/3"]), /--shard must be i\/N with 0 <= i < N/);
  assert.throws(() => parseReproduceArgs(["--suite", "nope"]), /unknown suite "nope"; valid suites: .*all/);
  assert.throws(() => parseReproduceArgs(["--seeds", "0"]), /--seeds must be a whole number from 1 to 1000, got "0"/);
  assert.throws(() => parseReproduceArgs(["--backend", "cuda"]), /cuda/);
  assert.equal(parseReproduceArgs(["--help"]), null);
  assert.equal(parseReproduceArgs([])!.out, "reports/reproduce-tiny");
});

/** A tiny uScion smoothness job and a Gluon job that takes its fit, like the two suites' jobs. */
function tinyJobs(): SuiteJob[] {
  const base = {
    suite: "test",
    workload: "nanogpt-tiny-modded",
    model: TINY_GPT,
    steps: 6,
    evalEvery: 3,
    evalBatches: 1,
    checkpointEvery: 2,
  };
  return [
    { id: "test/uscion/seed=0", config: { ...base, optimizer: "uscion", smoothnessEvery: 2 } },
    {
      id: "test/gluon/seed=0",
      fitFrom: "test/uscion/seed=0",
      config: { ...base, optimizer: "gluon", opt: { fit: "run:test/uscion/seed=0" } },
    },
  ];
}

Deno.test("--workers 2: jobs train in child processes with the same trajectories; a dependent job waits for its fit", async () => {
  const one = await Deno.makeTempDir({ prefix: "lmo-reproduce-w1-" });
  const two = await Deno.makeTempDir({ prefix: "lmo-reproduce-w2-" });
  try {
    const [uscion, gluon] = tinyJobs();
    const adamw: SuiteJob = { id: "test/adamw/seed=0", config: { ...uscion.config, optimizer: "adamw", smoothnessEvery: 0 } };
    const broken: SuiteJob = { id: "test/broken/seed=0", config: { ...adamw.config, opt: { no_such_option: 1 } } };
    // The fit-taking job comes right after its source, so with two workers it must wait for it.
    const jobs = [uscion, gluon, adamw, broken].map((j) => ({ ...j, config: { ...j.config, threads: 1 } }));
    const serial = await reproduceJobs(jobs, { out: one, print: () => {}, progress: false });
    const lines: string[] = [];
    const parallel = await reproduceJobs(jobs, { out: two, print: (l) => lines.push(l), progress: false, workers: 2 });
    assert.deepEqual(parallel.map((s) => s.id), jobs.map((j) => j.id), "summaries in list order");
    assert.deepEqual(parallel.map((s) => s.action), ["trained", "trained", "trained", "failed"]);
    assert.deepEqual(parallel.map((s) => s.action), serial.map((s) => s.action));
    assert.match(parallel[3].error!, /no_such_option/, `the child's error reaches the summary: ${parallel[3].error}`);
    assert.equal(lines.length, 4);
    for (let i = 0; i < 3; i++) {
      const a = await readColumns(serial[i].dir, "steps");
      const b = await readColumns(parallel[i].dir, "steps");
      assert.deepEqual(Array.from(b.train_loss), Array.from(a.train_loss), `${jobs[i].id}: same losses in a child`);
      assert.equal(parallel[i].valLoss, serial[i].valLoss);
    }
    assert.ok((await readManifest(parallel[1].dir)).status === "done", "Gluon ran on the finished uScion fit");
  } finally {
    await Deno.remove(one, { recursive: true });
    await Deno.remove(two, { recursive: true });
  }
});

Deno.test("--workers 2: a stop reaches the worker processes; their runs are interrupted, then resumed", async () => {
  const out = await Deno.makeTempDir({ prefix: "lmo-reproduce-stop-" });
  try {
    const [uscion] = tinyJobs();
    const jobs: SuiteJob[] = [0, 1].map((seed) => ({
      id: `test/adamw/seed=${seed}`,
      config: { ...uscion.config, optimizer: "adamw", smoothnessEvery: 0, steps: 800, seed, threads: 1, checkpointEvery: 50 },
    }));
    const stop = new AbortController();
    const lines: string[] = [];
    // Stop once both runs have a checkpoint to resume from.
    const watcher = setInterval(async () => {
      const dirs = await Promise.all(jobs.map((j) => runDirOf(out, j)));
      try {
        await Promise.all(dirs.map((d) => Deno.stat(checkpointPath(d))));
        stop.abort("test");
      } catch { /* not yet */ }
    }, 200);
    const first = await reproduceJobs(jobs, { out, print: (l) => lines.push(l), progress: false, workers: 2, stop: stop.signal });
    clearInterval(watcher);
    assert.deepEqual(first.map((s) => s.action), ["interrupted", "interrupted"], lines.join("\n"));
    for (const s of first) assert.equal((await readManifest(s.dir)).status, "interrupted");
    const second = await reproduceJobs(jobs, { out, print: () => {}, progress: false, workers: 2 });
    assert.deepEqual(second.map((s) => [s.action, s.status]), [["resumed", "done"], ["resumed", "done"]]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a job list run twice: the second pass reuses every run; the dependent job gets the fit file", async () => {
  const out = await Deno.makeTempDir({ prefix: "lmo-reproduce-test-" });
  try {
    const jobs = tinyJobs();
    const lines: string[] = [];
    const first = await reproduceJobs(jobs, { out, print: (l) => lines.push(l), progress: false });
    assert.deepEqual(first.map((s) => [s.action, s.status]), [["trained", "done"], ["trained", "done"]]);
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^\[2\/2\] trained\s+done\s+val \d+\.\d{4}\s+\d+\.\d s {2}test\/gluon\/seed=0$/);
    for (const [i, job] of jobs.entries()) assert.equal(first[i].dir, await runDirOf(out, job));
    assert.match(first[0].dir, new RegExp(`/runs/test_uscion_seed-0-[0-9a-f]{12}$`));

    const fitPath = `${out}/fits/${jobSlug(jobs[0].id)}.json`;
    const written = parseSmoothnessFit(await Deno.readTextFile(fitPath), fitPath);
    const refit = await fitRun(first[0].dir);
    assert.equal(written.size, refit.fits.length);
    for (const f of refit.fits) assert.deepEqual(written.get(f.layer), { L0: f.L0, L1: f.L1 });
    const gluon = await readManifest(first[1].dir);
    assert.equal((gluon.resolved as any).optimizer.fit, fitPath, "the resolved fit is the written file");
    assert.equal((gluon.config as any).opt.fit, "run:test/uscion/seed=0", "the hashed config stays symbolic");

    const before = await Promise.all(first.map((s) => Deno.readTextFile(`${s.dir}/manifest.json`)));
    const second = await reproduceJobs(jobs, { out, print: () => {}, progress: false });
    assert.deepEqual(second.map((s) => s.action), ["reused", "reused"]);
    assert.deepEqual(second.map((s) => s.valLoss), first.map((s) => s.valLoss));
    const after = await Promise.all(first.map((s) => Deno.readTextFile(`${s.dir}/manifest.json`)));
    assert.deepEqual(after, before, "reused runs are not touched");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/** Starts training `job` into `dir` in a subprocess that exits abruptly after `stopAt` steps (a kill). */
async function interruptedRun(job: SuiteJob, dir: string, stopAt: number): Promise<void> {
  const code = `
    import { runJob } from ${JSON.stringify(new URL("src/train/job.ts", REPO).href)};
    const { config, dir, stopAt } = JSON.parse(Deno.env.get("LMO_TEST_JOB"));
    await runJob(config, { out: dir, onProgress: (p) => { if (p.step === stopAt) Deno.exit(0); } });
    Deno.exit(3);`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: REPO.pathname,
    env: { LMO_TEST_JOB: JSON.stringify({ config: fullConfig(job), dir, stopAt }) },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
}

Deno.test("an interrupted run is resumed from its checkpoint, or restarted without one, to the same losses", async () => {
  const out = await Deno.makeTempDir({ prefix: "lmo-reproduce-test-" });
  try {
    const [job] = tinyJobs();
    const [reference] = await reproduceJobs([job], {
      out: `${out}/reference`,
      print: () => {},
      progress: false,
    });
    const expected = await readColumns(reference.dir, "steps");

    const dir = await runDirOf(out, job);
    await interruptedRun(job, dir, 5);
    assert.equal((await readManifest(dir)).status, "running");
    await Deno.stat(checkpointPath(dir));
    const [resumed] = await reproduceJobs([job], { out, print: () => {}, progress: false });
    assert.deepEqual([resumed.action, resumed.status], ["resumed", "done"]);
    const manifest = await readManifest(dir);
    assert.equal(manifest.resumed_at.length, 1);
    const steps = await readColumns(dir, "steps");
    assert.deepEqual(steps.step, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(steps.train_loss, expected.train_loss, "bitwise the losses of the uninterrupted run");

    await Deno.remove(dir, { recursive: true });
    await interruptedRun(job, dir, 1);
    await assert.rejects(Deno.stat(checkpointPath(dir)), Deno.errors.NotFound);
    const [restarted] = await reproduceJobs([job], { out, print: () => {}, progress: false });
    assert.deepEqual([restarted.action, restarted.status], ["restarted", "done"]);
    assert.equal((await readManifest(dir)).resumed_at.length, 1, "resumed from step 0, in place");
    assert.deepEqual((await readColumns(dir, "steps")).train_loss, expected.train_loss);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a job whose dependency failed fails with the reason; the other jobs go on", async () => {
  const out = await Deno.makeTempDir({ prefix: "lmo-reproduce-test-" });
  try {
    const [uscion, gluon] = tinyJobs();
    const broken = { ...uscion, config: { ...uscion.config, opt: { lr: "fast" } } };
    const lines: string[] = [];
    const summaries = await reproduceJobs([broken, { ...gluon, fitFrom: broken.id }], {
      out,
      print: (l) => lines.push(l),
      progress: false,
    });
    assert.deepEqual(summaries.map((s) => s.action), ["failed", "failed"]);
    assert.match(lines[0], /FAILED {3}test\/uscion\/seed=0: .*lr/);
    assert.match(summaries[1].error!, /needs the fit of test\/uscion\/seed=0, whose run .* does not exist/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("LR-extension rounds come from the runs in --out: none before they finish, then one per round", async () => {
  const out = await Deno.makeTempDir({ prefix: "lmo-reproduce-test-" });
  try {
    // A 2-LR sweep of 3 steps far below any basin: both LRs sit within the basin tolerance of the best, so
    // both edges are open and the grid extends one factor-3 step each way.
    const sweep: SuiteJob[] = [1e-5, 3e-5].map((lr, i) => ({
      id: `test/sweep/lr=${lr}/seed=0`,
      sweep: { group: "test/sweep", lr, factor: 3, cap: 1, extension: 0 },
      config: {
        suite: "test",
        tags: { lr_index: i },
        workload: "nanogpt-tiny",
        optimizer: "adamw",
        model: TINY_GPT,
        opt: { lr },
        steps: 3,
        evalEvery: 3,
        evalBatches: 1,
        threads: 1,
      },
    }));
    const listed = () => withExtensions(sweep, (job) => sweepOutcomeIn(out, job));
    assert.deepEqual(
      (await listed()).map((j) => j.id),
      sweep.map((j) => j.id),
      "nothing finished: no extension",
    );
    await reproduceJobs(sweep, { out, print: () => {}, progress: false });
    const round1 = await listed();
    assert.deepEqual(round1.slice(0, 2), sweep, "the base jobs keep their positions");
    assert.deepEqual(round1.slice(2).map((j) => j.sweep!.lr), [3.33333e-6, 9e-5]);
    await reproduceJobs(round1.slice(2), { out, print: () => {}, progress: false });
    assert.deepEqual((await listed()).map((j) => j.id), round1.map((j) => j.id), "the cap (1) stops it");
    assert.equal((await sweepOutcomeIn(out, round1[2]))!.loss! > 0, true);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
