/**
 * Training runs as reproducible, crash-safe run directories: bitwise determinism, SIGKILL + --resume,
 * divergence, clear errors on bad input, and the Arrow files read by polars.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import { readColumns } from "../src/trace/arrow_read.ts";
import { effectiveStatus, readManifest } from "../src/trace/run_dir.ts";
import { runJob } from "../src/train/job.ts";
import { withTempDir } from "./helpers/temp.ts";
import { tinyGptJob } from "./helpers/tiny_job.ts";

const BASE = tinyGptJob({
  optimizer: "muon-adam",
  steps: 12,
  evalEvery: 6,
  evalBatches: 2,
  layersEvery: 3,
  checkpointEvery: 4,
});

Deno.test("two runs of the same config give bitwise-identical loss columns", () =>
  withTempDir(async (root) => {
    const a = await runJob(BASE, { out: `${root}/a` });
    const b = await runJob(BASE, { out: `${root}/b` });
    assert.equal(a.status, "done");
    const la = (await readColumns(a.dir, "steps")).train_loss as number[];
    const lb = (await readColumns(b.dir, "steps")).train_loss as number[];
    assert.equal(la.length, 12);
    assert.deepEqual(new Float64Array(la), new Float64Array(lb));
    assert.ok(la[11] < la[0], `loss should fall: ${la[0]} -> ${la[11]}`);
    const m = await readManifest(a.dir);
    assert.equal(m.status, "done");
    assert.equal(m.config_hash, (await readManifest(b.dir)).config_hash);
    assert.ok((m.routing as unknown[]).length > 0);
  }));

/** Runs `deno task run` as a subprocess. */
function runCli(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/run.ts", ...args],
    cwd: new URL("..", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

const CLI_ARGS = [
  "--workload",
  "nanogpt-tiny",
  "--optimizer",
  "adamw",
  "--steps",
  "400",
  "--threads",
  "1",
  "--model.layers",
  "1",
  "--model.heads",
  "2",
  "--model.width",
  "16",
  "--model.context",
  "16",
  "--model.batch",
  "4",
  "--checkpoint-every",
  "10",
  "--eval-every",
  "100",
  "--eval-batches",
  "2",
];

Deno.test("a run killed with SIGKILL keeps readable streams, and --resume finishes it with the same final loss", () =>
  withTempDir(async (root) => {
    const reference = await runCli([...CLI_ARGS, "--out", `${root}/ref`]).output();
    assert.equal(reference.code, 0, new TextDecoder().decode(reference.stderr));

    const child = runCli([...CLI_ARGS, "--out", `${root}/killed`]).spawn();
    const killed = `${root}/killed`;
    // Wait for the second checkpoint, so a batch of rows has been flushed, then kill without warning.
    for (let i = 0; i < 600; i++) {
      const ckpt = await Deno.stat(`${killed}/checkpoint.bin`).catch(() => null);
      if (ckpt) {
        const steps = await readColumns(killed, "steps").catch(() => null);
        if (steps && (steps.step as number[]).length >= 20) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.ok(!status.success, "the run was killed before it finished");
    const steps = (await readColumns(killed, "steps")).step as number[];
    assert.ok(
      steps.length >= 20 && steps.length < 400,
      `the flushed rows survive the kill (got ${steps.length})`,
    );
    assert.deepEqual(steps, steps.map((_, i) => i));
    const left = await readManifest(killed);
    assert.equal(left.status, "running");
    assert.equal(
      effectiveStatus(killed, left),
      "interrupted",
      "nobody holds its lock, so it reads as interrupted",
    );
    const resumed = await runCli([...CLI_ARGS, "--resume", killed]).output();
    assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
    const ref = await readColumns(`${root}/ref`, "steps");
    const got = await readColumns(killed, "steps");
    assert.deepEqual(got.step, ref.step);
    assert.deepEqual(
      new Float64Array(got.train_loss as number[]),
      new Float64Array(ref.train_loss as number[]),
    );
    assert.equal((await readManifest(killed)).status, "done");
  }));

Deno.test("a run whose loss becomes non-finite stops, is marked diverged and exits cleanly", () =>
  withTempDir(async (root) => {
    const out = await runJob({ ...BASE, optimizer: "sgdm", opt: { lr: 1e30, clip: 0 }, steps: 30 }, {
      out: `${root}/d`,
    });
    assert.equal(out.status, "diverged");
    const m = await readManifest(out.dir);
    assert.equal(m.status, "diverged");
    assert.equal(m.diverged_step, out.divergedStep);
    const losses = (await readColumns(out.dir, "steps")).train_loss as number[];
    assert.ok(!Number.isFinite(losses[losses.length - 1]));
  }));

Deno.test("bad input gets one clear error each and leaves no run directory behind", () =>
  withTempDir(async (root) => {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [
        ["--workload", "gpt5", "--optimizer", "adamw"],
        /unknown workload "gpt5"; valid workloads: nanogpt-tiny/,
      ],
      [["--workload", "nanogpt-tiny", "--optimizer", "adamz"], /adamz.*(muon-adam|adamw)/],
      [
        ["--workload", "nanogpt-tiny", "--optimizer", "adamw", "--opt.learning_rate", "1"],
        /unknown key "learning_rate"[^]*\n\s+lr\s/,
      ],
      [["--workload", "nanogpt-tiny", "--optimizer", "adamw", "--opt.lr", "fast"], /lr/],
      [
        ["--workload", "nanogpt-tiny", "--optimizer", "adamw", "--backend", "cuda"],
        /unknown backend "cuda"; use one of: native, wasm, webgpu/,
      ],
      [["--workload", "nanogpt-tiny", "--optimizer", "adamw", "--backend", "webgpu"], /WebGPU|adapter/, {
        DENO_WEBGPU_BACKEND: "",
      }],
    ];
    for (const [args, pattern, env] of cases) {
      const out = `${root}/x`;
      const r = await runCli([...args, "--steps", "2", "--out", out], env).output();
      const stderr = new TextDecoder().decode(r.stderr).trim();
      assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
      assert.match(stderr, pattern);
      assert.ok(
        stderr.startsWith("error: ") && !/\n\s+at /.test(stderr),
        `one error, no traceback: ${stderr}`,
      );
      assert.equal(await Deno.stat(out).catch(() => null), null, `no directory after: ${args.join(" ")}`);
    }
    const existing = `${root}/done`;
    const first = await runCli([
      ...CLI_ARGS.slice(0, 6),
      "--steps",
      "2",
      "--model.layers",
      "1",
      "--model.width",
      "16",
      "--model.heads",
      "2",
      "--model.context",
      "16",
      "--model.batch",
      "2",
      "--out",
      existing,
    ]).output();
    assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
    const again = await runCli([...CLI_ARGS.slice(0, 6), "--steps", "2", "--out", existing]).output();
    assert.notEqual(again.code, 0);
    assert.match(new TextDecoder().decode(again.stderr), /already exists; pass --resume/);
    assert.equal((await readManifest(existing)).status, "done", "the finished run is untouched");
  }));

Deno.test("polars reads the finalised Arrow files of a run", () =>
  withTempDir(async (root) => {
    const run = await runJob({ ...BASE, steps: 6 }, { out: `${root}/p` });
    const steps = pl.readIPC(Buffer.from(await Deno.readFile(`${run.dir}/steps.arrow`)));
    const layers = pl.readIPC(Buffer.from(await Deno.readFile(`${run.dir}/layers.arrow`)));
    const ours = await readColumns(run.dir, "steps");
    assert.equal(steps.height, 6);
    assert.deepEqual(steps.getColumn("step").toArray(), ours.step);
    const sum = (ours.train_loss as number[]).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(steps.getColumn("train_loss").sum() - sum) < 1e-9);
    assert.ok(layers.columns.includes("grad_dual") && layers.height > 0);
  }));

Deno.test("logging per-layer rows (the full step graph) does not change the trajectory of the lean graph", () =>
  withTempDir(async (root) => {
    const every = await runJob({ ...BASE, optimizer: "muonmax-momo", layersEvery: 1 }, {
      out: `${root}/every`,
    });
    const rarely = await runJob({ ...BASE, optimizer: "muonmax-momo", layersEvery: 1000 }, {
      out: `${root}/rarely`,
    });
    const a = (await readColumns(every.dir, "steps")).train_loss as number[];
    const b = (await readColumns(rarely.dir, "steps")).train_loss as number[];
    assert.deepEqual(new Float64Array(a), new Float64Array(b));
    assert.equal(new Set((await readColumns(every.dir, "layers")).step as number[]).size, 12);
  }));
