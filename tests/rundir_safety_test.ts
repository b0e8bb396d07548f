/**
 * Run directories that no second writer, signal, crash or full disk can corrupt: locks, clean stops,
 * resume in every state, disk full on a small tmpfs, --export-onnx, and a report over a damaged run.
 */
import assert from "node:assert/strict";
import { reproduceJobs } from "../src/cli/reproduce.ts";
import { main as reportMain } from "../src/cli/report.ts";
import { loadRuns } from "../src/report/assemble.ts";
import type { SuiteJob } from "../src/suite/types.ts";
import { readColumns } from "../src/trace/arrow_read.ts";
import { pathExists } from "../src/trace/fs_util.ts";
import { TableWriter } from "../src/trace/arrow_stream.ts";
import { EVALS_TABLE } from "../src/trace/schema.ts";
import { acquireLock, lockHolder, runLockPath } from "../src/trace/lock.ts";
import { createRunDir, manifestPath, readManifest, updateStatus } from "../src/trace/run_dir.ts";
import { checkpointPath } from "../src/train/checkpoint.ts";
import { runJob } from "../src/train/job.ts";
import { withTempDir } from "./helpers/temp.ts";
import { TINY_GPT_MODEL, tinyGptJob } from "./helpers/tiny_job.ts";

const REPO = new URL("../", import.meta.url);
const BASE = tinyGptJob({
  optimizer: "adamw",
  steps: 12,
  evalEvery: 4,
  evalBatches: 1,
  layersEvery: 3,
  checkpointEvery: 4,
});

/** Two tiny suite jobs (a few steps each) for reproduce. */
const JOBS: SuiteJob[] = ["adamw", "muon-adam"].map((optimizer) => ({
  id: `test/${optimizer}/seed=0`,
  config: { ...BASE, suite: "test", optimizer, steps: 8, evalEvery: 4, checkpointEvery: 2 },
}));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ready` every 50 ms for up to `seconds`; fails naming `what` if it never holds. */
async function waitFor(what: string, ready: () => boolean | Promise<boolean>, seconds = 120): Promise<void> {
  for (let i = 0; i < seconds * 20; i++) {
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const alive = (pid: number) => {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).includes(") Z ");
  } catch {
    return false;
  }
};

/** Starts a subprocess running `code` (a module body) with `env.LMO_TEST` as JSON input. */
function spawnEval(code: string, input: unknown): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: REPO.pathname,
    env: { LMO_TEST: JSON.stringify(input) },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const REPRODUCE = `
  import { reproduceJobs } from ${JSON.stringify(new URL("src/cli/reproduce.ts", REPO).href)};
  const { jobs, out } = JSON.parse(Deno.env.get("LMO_TEST"));
  try {
    const s = await reproduceJobs(jobs, { out, print: () => {}, progress: false });
    console.log(JSON.stringify(s.map((x) => x.status)));
  } catch (e) {
    console.error(e.message);
    Deno.exit(2);
  }`;

async function finish(child: Deno.ChildProcess): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}

Deno.test("a lock names its live owner to a second writer; a dead owner's lock is taken over", () =>
  withTempDir(async (root) => {
    const path = runLockPath(`${root}/run`);
    const lock = acquireLock(path, "run directory R");
    assert.throws(
      () => acquireLock(path, "run directory R"),
      new RegExp(`run directory R is in use by pid ${Deno.pid} on ${Deno.hostname()}`),
    );
    assert.equal(lockHolder(path)?.pid, Deno.pid);
    lock.release();
    assert.equal(lockHolder(path), null);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "release removes the lock file");

    // A writer killed outright leaves its lock file behind, but the kernel has dropped its lock.
    const child = spawnEval(
      `import { acquireLock } from ${JSON.stringify(new URL("src/trace/lock.ts", REPO).href)};
       acquireLock(JSON.parse(Deno.env.get("LMO_TEST")), "R"); console.log("locked"); setInterval(() => {}, 1000);`,
      path,
    );
    await waitFor("the child's lock", () => lockHolder(path)?.pid === child.pid);
    child.kill("SIGKILL");
    await child.output();
    assert.equal(lockHolder(path), null, "a dead owner holds nothing");
    const taken = acquireLock(path, "run directory R");
    assert.equal(taken.staleOwner?.pid, child.pid, "the dead owner is reported");
    taken.release();
  }));

Deno.test("two reproduce processes on one --out: the second is refused with the owner's pid, nothing is lost", () =>
  withTempDir(async (out) => {
    const first = spawnEval(REPRODUCE, { jobs: JOBS, out });
    await waitFor("the first writer's lock", () => lockHolder(`${out}/reproduce.lock`)?.pid === first.pid);
    // Hold the first writer still, so the second surely meets it mid-run.
    Deno.kill(first.pid, "SIGSTOP");
    const second = await finish(spawnEval(REPRODUCE, { jobs: JOBS, out }));
    Deno.kill(first.pid, "SIGCONT");
    assert.equal(second.code, 2);
    assert.match(
      second.stderr,
      new RegExp(`output folder ${out} is in use by pid ${first.pid} on ${Deno.hostname()}`),
    );
    const done = await finish(first);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), `["done","done"]`);

    // A writer killed outright mid-run: the next one takes its lock over and resumes its run. The writer is
    // stopped while we look, so that the run we find mid-way (a checkpoint, not finished) is still mid-way
    // when it dies: a tiny job can finish between a look and a kill.
    const killed = spawnEval(REPRODUCE, { jobs: JOBS.map((j) => ({ ...j, id: `${j.id}/again` })), out });
    let interrupted = "";
    await waitFor("a checkpoint of the killed writer's unfinished run", async () => {
      Deno.kill(killed.pid, "SIGSTOP");
      for await (const e of Deno.readDir(`${out}/runs`)) {
        const dir = `${out}/runs/${e.name}`;
        if (!e.name.includes("again") || !e.isDirectory || !pathExists(checkpointPath(dir))) continue;
        if ((await readManifest(dir)).status === "running") interrupted = dir;
      }
      if (!interrupted) Deno.kill(killed.pid, "SIGCONT");
      return interrupted !== "";
    });
    killed.kill("SIGKILL");
    await killed.output();
    const lines: string[] = [];
    const all = [...JOBS, ...JOBS.map((j) => ({ ...j, id: `${j.id}/again` }))];
    const after = await reproduceJobs(all, { out, print: (l) => lines.push(l), progress: false });
    assert.match(lines[0], new RegExp(`took over the lock of pid ${killed.pid} on `));
    assert.deepEqual(after.map((s) => s.status), ["done", "done", "done", "done"]);
    assert.deepEqual(after.slice(0, 2).map((s) => s.action), ["reused", "reused"]);
    const resumed = after.find((s) => s.dir === interrupted);
    assert.ok(
      resumed && ["resumed", "restarted"].includes(resumed.action),
      `${interrupted}: ${resumed?.action}`,
    );
    for (const s of after) {
      assert.deepEqual((await readColumns(s.dir, "steps")).step, [0, 1, 2, 3, 4, 5, 6, 7], s.dir);
    }
    for (const s of after.slice(0, 2)) assert.deepEqual((await readManifest(s.dir)).resumed_at, []);
  }));

Deno.test({
  name: "SIGTERM to the npm deno shim stops the whole tree cleanly: flushed, interrupted, resumable",
  ignore: Deno.build.os !== "linux" || !pathExists(new URL("node_modules/.bin/deno", REPO).pathname) ||
    !(await hasNode()),
  fn: () =>
    withTempDir(async (root) => {
      const dir = `${root}/run`;
      const args = [
        "--workload",
        "nanogpt-tiny",
        "--optimizer",
        "adamw",
        "--steps",
        "600",
        "--threads",
        "1",
        ...Object.entries(TINY_GPT_MODEL).flatMap(([k, v]) => [`--model.${k}`, String(v)]),
        "--checkpoint-every",
        "25",
        "--eval-every",
        "40",
        "--eval-batches",
        "1",
      ];
      const shim = new Deno.Command(new URL("node_modules/.bin/deno", REPO).pathname, {
        args: ["task", "run", ...args, "--out", dir],
        cwd: REPO.pathname,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await waitFor("the first checkpoint", () => pathExists(checkpointPath(dir)));
      const trainer = lockHolder(runLockPath(dir))!.pid;
      const task = Number(Deno.readTextFileSync(`/proc/${trainer}/stat`).split(") ")[1].split(" ")[1]);
      assert.notEqual(trainer, shim.pid, "the shim spawned the real deno");
      shim.kill("SIGTERM");
      await shim.output();
      await waitFor("the trainer and deno task to end", () => !alive(trainer) && !alive(task), 60);
      const manifest = await readManifest(dir);
      assert.equal(manifest.status, "interrupted");
      assert.equal(lockHolder(runLockPath(dir)), null);
      const steps = (await readColumns(dir, "steps")).step as number[];
      assert.ok(steps.length > 0 && steps.length < 600, `stopped mid-run after ${steps.length} steps`);
      assert.deepEqual(steps, steps.map((_, i) => i), "every flushed step, in order");

      const resumed = await finish(
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "src/cli/run.ts", ...args, "--resume", dir],
          cwd: REPO.pathname,
          stdout: "piped",
          stderr: "piped",
        }).spawn(),
      );
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, new RegExp(`resuming at step ${steps.length}\\)`));
    }),
});

async function hasNode(): Promise<boolean> {
  try {
    return (await new Deno.Command("node", { args: ["--version"], stdout: "null" }).output()).success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "stopOnSignals: SIGTERM aborts with exit code 143; a SIGINT ignored at start stays ignored",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const code = `import { stopOnSignals } from ${JSON.stringify(new URL("src/cli/stop.ts", REPO).href)};
      const s = stopOnSignals();
      s.signal.addEventListener("abort", () => { console.log("aborted " + s.reason().exitCode); Deno.exit(0); });
      console.log("ready");
      setInterval(() => {}, 1000);`;
    const child = new Deno.Command("bash", {
      args: ["-c", `trap '' INT; exec "$0" eval "$1"`, Deno.execPath(), code],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await lines.read()).value?.trim(), "ready");
    child.kill("SIGINT");
    await sleep(500);
    assert.ok(alive(child.pid), "the ignored SIGINT neither stops nor kills it");
    child.kill("SIGTERM");
    assert.equal((await lines.read()).value?.trim(), "aborted 143");
    lines.releaseLock();
    await child.stdout.cancel().catch(() => {});
    assert.equal((await child.status).code, 0);
  },
});

Deno.test("reproduce stops between jobs once asked to; the unstarted job's directory is never made", () =>
  withTempDir(async (out) => {
    const stop = new AbortController();
    const summaries = await reproduceJobs(JOBS, {
      out,
      print: () => stop.abort(),
      progress: false,
      stop: stop.signal,
    });
    assert.equal(summaries.length, 1);
    assert.equal(summaries[0].status, "done");
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(`${out}/runs`))).filter((e) => e.isDirectory).length,
      1,
    );
    assert.equal(lockHolder(`${out}/reproduce.lock`), null, "the output folder's lock is released");
  }));

Deno.test("--resume: a finished short run is left untouched; a run without its checkpoint restarts from step 0", () =>
  withTempDir(async (root) => {
    const reference = await runJob(BASE, { out: `${root}/ref` });
    const manifestBefore = await Deno.readTextFile(manifestPath(reference.dir));
    const again = await runJob(BASE, { out: reference.dir, resume: true });
    assert.equal(again.start, "finished");
    assert.equal(again.status, "done");
    assert.equal(
      await Deno.readTextFile(manifestPath(reference.dir)),
      manifestBefore,
      "the manifest is not rewritten",
    );
    const expected = await readColumns(reference.dir, "steps");

    // Stopped by a signal at step 8: the checkpoint then is taken with the eval row of step 8 logged.
    const stop = new AbortController();
    const dir = `${root}/stopped`;
    const stopped = await runJob(BASE, {
      out: dir,
      stop: stop.signal,
      onProgress: (p) => p.step === 8 && stop.abort(),
    });
    assert.equal(stopped.status, "interrupted");
    const interrupted = await readManifest(dir);
    assert.equal(interrupted.status, "interrupted");
    assert.equal(interrupted.finished_at, null);
    const resumed = await runJob(BASE, { out: dir, resume: true });
    assert.equal(resumed.start, "checkpoint");
    const evals = await readColumns(dir, "evals");
    const refEvals = await readColumns(reference.dir, "evals");
    assert.deepEqual(evals.step, [4, 8, 12], "the eval row at the checkpoint step survives the resume");
    assert.deepEqual(evals.loss, refEvals.loss);
    assert.deepEqual((await readColumns(dir, "steps")).train_loss, expected.train_loss);

    // A checkpoint deleted (or never written): the run starts again from step 0, in place.
    const lost = `${root}/lost`;
    const stop2 = new AbortController();
    await runJob(BASE, { out: lost, stop: stop2.signal, onProgress: (p) => p.step === 6 && stop2.abort() });
    await Deno.remove(checkpointPath(lost));
    const restarted = await runJob(BASE, { out: lost, resume: true });
    assert.equal(restarted.start, "step 0");
    assert.deepEqual((await readColumns(lost, "steps")).train_loss, expected.train_loss);
    assert.deepEqual((await readColumns(lost, "evals")).loss, refEvals.loss);
  }));

Deno.test("an edited manifest config is refused on resume and left out of reports, naming the file", () =>
  withTempDir(async (root) => {
    const run = await runJob({ ...BASE, steps: 4 }, { out: `${root}/runs/r` });
    const path = manifestPath(run.dir);
    const manifest = JSON.parse(await Deno.readTextFile(path));
    manifest.config.steps = 40;
    manifest.status = "interrupted";
    await Deno.writeTextFile(path, JSON.stringify(manifest, null, 2));
    await assert.rejects(
      runJob({ ...BASE, steps: 40 }, { out: run.dir, resume: true }),
      /manifest\.json was edited/,
    );
    assert.equal((await readManifest(run.dir)).status, "interrupted", "the refused resume wrote nothing");
    const { skipped } = await loadRuns([root]);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0].reason, /manifest\.json was edited: its config hashes to [0-9a-f]{12}, not to/);
  }));

Deno.test("--export-onnx overwrites nothing when the run is refused", () =>
  withTempDir(async (root) => {
    const file = `${root}/graph.onnx`;
    await Deno.writeTextFile(file, "precious");
    await createRunDir(`${root}/taken`, {
      name: "x",
      config: { other: 1 },
      seeds: {},
      backend: {},
      routing: [],
    });
    await assert.rejects(runJob(BASE, { out: `${root}/taken`, exportOnnx: file }), /already exists/);
    const lock = acquireLock(runLockPath(`${root}/busy`), "run directory busy");
    await assert.rejects(runJob(BASE, { out: `${root}/busy`, exportOnnx: file }), /is in use by pid/);
    lock.release();
    assert.equal(await Deno.readTextFile(file), "precious");
    await runJob({ ...BASE, steps: 2 }, { out: `${root}/ok`, exportOnnx: file });
    assert.notEqual(await Deno.readTextFile(file), "precious", "a validated run writes it");
  }));

/** Mounts a tmpfs of `size` at a fresh directory, or returns null where mounting is not permitted. */
async function smallTmpfs(root: string, size: string): Promise<string | null> {
  const mnt = `${root}/tmpfs`;
  await Deno.mkdir(mnt);
  try {
    const out = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mnt],
      stderr: "null",
    })
      .output();
    return out.success ? mnt : null;
  } catch {
    return null;
  }
}

async function unmount(mnt: string): Promise<void> {
  await new Deno.Command("umount", { args: ["-l", mnt] }).output();
}

/** Files with a temporary name (tempSibling's ".tmp-"/".partial-" suffixes) under `dir`. */
async function tempFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (/\.(tmp|partial)-[0-9a-f]{8}$/.test(e.name)) found.push(e.name);
  }
  return found;
}

/** Fills the file system of `path` to the last byte with a file at `path`; returns that path. */
async function fill(path: string): Promise<string> {
  const file = await Deno.open(path, { create: true, write: true });
  try {
    for (;;) await file.write(new Uint8Array(4096));
  } catch (error) {
    assert.equal((error as { code?: string }).code, "ENOSPC");
  } finally {
    file.close();
  }
  return path;
}

Deno.test("disk full: the error names the path, no temporary file stays, the run is marked failed", async (t) => {
  await withTempDir(async (root) => {
    const mnt = await smallTmpfs(root, "2m");
    if (!mnt) {
      console.log("skipping: cannot mount a tmpfs here (needs root)");
      return;
    }
    try {
      await t.step("a checkpoint larger than the free space", async () => {
        // Width 128: a 2.5 MB checkpoint on a 2 MB disk.
        const dir = `${mnt}/big`;
        await assert.rejects(
          runJob({ ...BASE, model: { ...TINY_GPT_MODEL, width: 128 } }, { out: dir }),
          new RegExp(`cannot write ${dir}/checkpoint\\.bin: .*No space left on device.*the disk is full`),
        );
        const manifest = await readManifest(dir);
        assert.equal(manifest.status, "failed");
        assert.match(manifest.error!, /checkpoint\.bin/);
        assert.deepEqual(await tempFiles(dir), []);
        assert.equal(lockHolder(runLockPath(dir)), null);
        await Deno.remove(dir, { recursive: true });
      });
      await t.step("a table flush on a full disk is cut back to its last complete batch", async () => {
        const dir = `${mnt}/table`;
        await Deno.mkdir(dir);
        const writer = await TableWriter.open(dir, EVALS_TABLE);
        writer.append({ step: 1, split: "val", loss: 1.5, accuracy: null });
        writer.flush();
        const size = (await Deno.stat(writer.path)).size;
        const filler = await fill(`${mnt}/filler`);
        try {
          for (let i = 0; i < 300; i++) {
            writer.append({ step: 2 + i, split: "v".repeat(100), loss: i, accuracy: null });
          }
          assert.throws(() => writer.flush(), new RegExp(`cannot write ${writer.path}: .*No space left`));
          assert.equal((await Deno.stat(writer.path)).size, size, "the partial batch is cut off");
          assert.deepEqual((await readColumns(dir, "evals")).step, [1]);
        } finally {
          await Deno.remove(filler);
        }
        writer.close();
        assert.equal(
          (await readColumns(dir, "evals")).step.length,
          301,
          "with space again, the rows kept are written",
        );
        await Deno.remove(dir, { recursive: true });
      });
      await t.step("a disk with no byte left still gets the failed status", async () => {
        const dir = `${mnt}/full`;
        await createRunDir(dir, { name: "x", config: { a: 1 }, seeds: {}, backend: {}, routing: [] });
        await fill(`${mnt}/filler`);
        await updateStatus(dir, { status: "failed", error: "disk full" });
        assert.equal((await readManifest(dir)).status, "failed");
        assert.deepEqual(await tempFiles(dir), []);
      });
    } finally {
      await unmount(mnt);
    }
  });
});

Deno.test("report skips a damaged run and a folder without a manifest, naming each, and still writes", () =>
  withTempDir(async (out) => {
    const summaries = await reproduceJobs(JOBS, { out, print: () => {}, progress: false });
    const [good, bad] = summaries.map((s) => s.dir);
    const steps = `${bad}/steps.arrow`;
    const bytes = await Deno.readFile(steps);
    await Deno.writeFile(steps, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await Deno.mkdir(`${out}/runs/orphan`);
    await Deno.copyFile(`${good}/evals.arrow`, `${out}/runs/orphan/evals.arrow`);
    const lines: string[] = [];
    const code = await reportMain([out, "--scale", "tiny", "--out", `${out}/report`], (l) => lines.push(l));
    assert.equal(code, 0);
    assert.ok(
      lines.some((l) => l.includes(`left out ${bad}: damaged: ${steps} is damaged`)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) =>
        l.includes(`left out ${out}/runs/orphan: damaged: `) && l.includes("no manifest.json")
      ),
    );
    assert.match(lines.find((l) => l.startsWith("report: "))!, /\(1 runs,/);
    await Deno.stat(`${out}/report/index.html`);
  }));

Deno.test("every deno task turns off Deno's update check, so a run touches no network", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("deno.json", REPO)));
  for (const [name, command] of Object.entries(tasks)) {
    assert.match(command as string, /^DENO_NO_UPDATE_CHECK=1 deno /, `task ${name}`);
  }
});
