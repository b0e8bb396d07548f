/**
 * `deno task bench`: the JSON rows carry every promised field with consistent values, on native and, as a
 * smoke test only (lavapipe is not a GPU), on webgpu with parameters resident on the device.
 */
import assert from "node:assert/strict";
import { availableBackends } from "../src/runtime/mod.ts";

async function bench(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/bench.ts", "--json", ...args],
    cwd: new URL("..", import.meta.url).pathname,
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("bench without --json prints the table, and in a pipe one progress line per job with its ETA on stderr", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/bench.ts", "--workloads", "cnn-tiny", "--optimizers", "adamw,sgdm", "--steps", "2"],
    cwd: new URL("..", import.meta.url).pathname,
  }).output();
  const [stdout, stderr] = [out.stdout, out.stderr].map((b) => new TextDecoder().decode(b));
  assert.ok(out.success, stderr);
  assert.match(stdout, /cnn-tiny\s+adamw/);
  assert.match(stdout, /cnn-tiny\s+sgdm/);
  const progress = stderr.split("\n").filter((l) => l.startsWith("bench ["));
  assert.equal(progress.length, 2, stderr);
  assert.match(progress[0], /1\/2 50% cnn-tiny\/adamw: median \d+\.\d ms .* elapsed, ETA \d+:\d\d/);
  assert.match(progress[1], /2\/2 100% cnn-tiny\/sgdm: median \d+\.\d ms .* elapsed, ETA 0:00/);
});

function checkRow(row: Record<string, number | string>, backend: string) {
  assert.equal(row.backend, backend);
  for (const k of ["median_ms", "min_ms", "tokens_per_s", "gflops", "matmul_peak_gflops", "peak_rss_mb", "forward_backward_median_ms"]) {
    assert.ok(Number(row[k]) > 0, `${k} = ${row[k]}`);
  }
  assert.ok(Number(row.min_ms) <= Number(row.median_ms));
  assert.ok(Number(row.optimizer_share) >= 0 && Number(row.optimizer_share) < 1);
  assert.ok(Math.abs(Number(row.peak_fraction) - Number(row.gflops) / Number(row.matmul_peak_gflops)) < 1e-9);
}

Deno.test("bench --json prints one row per (workload, optimizer) with every field", async () => {
  const rows = await bench(["--workloads", "cnn-tiny", "--optimizers", "adamw,muon-adam", "--steps", "3"]);
  assert.deepEqual(rows.map((r) => r.optimizer), ["adamw", "muon-adam"]);
  for (const row of rows) {
    checkRow(row, "native");
    assert.equal(row.workload, "cnn-tiny");
    // cnn-tiny's batch is 64 images: throughput is 64 per median step.
    assert.ok(Math.abs(row.tokens_per_s - 64 / (row.median_ms / 1000)) < 1e-6 * row.tokens_per_s);
  }
});

const webgpu = (await availableBackends()).find((b) => b.name === "webgpu")!;
Deno.test({
  name: "bench on webgpu (smoke test: parameters and optimizer state stay on the device)",
  ignore: !webgpu.available,
  fn: async () => {
    const [row] = await bench(["--backend", "webgpu", "--workloads", "cnn-tiny", "--optimizers", "adamw", "--steps", "2"]);
    checkRow(row, "webgpu");
  },
});
if (!webgpu.available) console.log(`skipping the webgpu bench smoke test: ${webgpu.reason}`);
