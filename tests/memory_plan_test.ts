/**
 * The memory plan (`deno task run --dry-run`) against the peak resident memory (VmHWM) of real runs of the
 * same configs, each in its own process, on the native backend.
 */
import assert from "node:assert/strict";
import { type JobInput, planJob, runJob } from "../src/train/job.ts";
import { pathExists } from "../src/trace/fs_util.ts";
import { withTempDir } from "./helpers/temp.ts";

/** Runs `config` in a fresh Deno process and returns that process's VmHWM in bytes. */
async function measuredPeak(config: JobInput, out: string): Promise<number> {
  const job = new URL("../src/train/job.ts", import.meta.url).href;
  const script = `import { runJob } from "${job}";
await runJob(${JSON.stringify(config)}, { out: ${JSON.stringify(out)} });
const kb = /VmHWM:\\s+(\\d+) kB/.exec(await Deno.readTextFile("/proc/self/status"))[1];
console.log("VmHWM " + kb);`;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return 1024 * Number(/VmHWM (\d+)/.exec(new TextDecoder().decode(stdout))![1]);
}

const onLinux = Deno.build.os === "linux";

const CASES = [
  ["nanogpt-tiny", 12, false],
  ["nanogpt-tiny", 64, false],
  ["nanogpt-tiny", 64, true],
  ["nanogpt-small", 4, false],
  ["nanogpt-small", 4, true],
] as const;

for (const [workload, batch, splitStep] of CASES) {
  Deno.test({
    name: `memory plan: ${workload} at batch ${batch}${
      splitStep ? ", split step," : ""
    } predicts the measured peak RSS within 25%`,
    ignore: !onLinux,
    fn: () =>
      withTempDir(async (dir) => {
        const config: JobInput = {
          workload,
          optimizer: "muon-adam",
          model: { batch },
          steps: 2,
          evalBatches: 1,
          splitStep,
        };
        const { plan } = await planJob(config);
        const measured = await measuredPeak(config, `${dir}/run`);
        const error = plan.peak / measured - 1;
        assert.ok(
          Math.abs(error) < 0.25,
          `predicted ${plan.peak} bytes, measured ${measured} (${(100 * error).toFixed(1)}%)`,
        );
      }),
  });
}

Deno.test("memory plan: accumulation adds the gradient sums and multiplies the tokens and FLOPs per step", async () => {
  const base: JobInput = { workload: "nanogpt-tiny", optimizer: "muon-adam", steps: 2 };
  const one = (await planJob(base)).plan;
  const four = (await planJob({ ...base, accum: 4 })).plan;
  assert.equal(one.itemsPerStep, 12 * 64);
  assert.equal(four.itemsPerStep, 4 * 12 * 64);
  assert.equal(four.accumBuffers, one.params);
  assert.ok(four.graphs.accumulate > 0 && one.graphs.accumulate === 0);
  assert.ok(four.flopsPerStep > one.flopsPerStep && four.flopsPerStep < 4 * one.flopsPerStep);
});

Deno.test("memory plan: a native run that cannot fit in this machine's memory is refused before its directory exists", () =>
  withTempDir(async (dir) => {
    // Activations grow with the batch: three times the machine's memory at 100 sequences' rate.
    const base: JobInput = { workload: "nanogpt-tiny", optimizer: "adamw", model: { batch: 100 }, steps: 1 };
    const per100 = (await planJob(base)).plan.peak;
    const batch = Math.ceil(3 * Deno.systemMemoryInfo().total / per100) * 100;
    const config: JobInput = { ...base, model: { batch } };
    await assert.rejects(
      () => runJob(config, { out: `${dir}/run` }),
      /needs about .* more than this machine's .*; run it with a smaller --model\.batch \(with --split-step: /,
    );
    assert.equal(pathExists(`${dir}/run`), false);
  }));
