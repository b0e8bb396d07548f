/**
 * `deno task bench`: ms per training step (min and median) for every optimizer preset on the tiny
 * workloads, tokens/s, the optimizer's share of a step, achieved GFLOP/s against the backend's measured
 * MatMul peak, and peak memory. Each (workload, optimizer) runs in its own process so that its peak memory
 * is its own. `--compare-torch` runs the PyTorch eager reference (benchmarks/reference/) with the same
 * thread count in the same session and prints both and their ratio.
 */
import { parseArgs } from "node:util";
import { presetNames } from "../optim/mod.ts";
import { openBackend, parseBackendName } from "../runtime/mod.ts";
import { type BenchRow, matmulPeak, measureStep } from "../bench/measure.ts";
import { intOption, runMain } from "./args.ts";
import { ProgressBar } from "./progress.ts";

const HELP = `deno task bench [--backend native|wasm|webgpu] [--threads 2] [--steps 20] [--json] [--compare-torch]
                 [--workloads nanogpt-tiny,cnn-tiny] [--optimizers adamw,muon,...]

Prints one row per (workload, optimizer): median and min ms per training step, tokens (images) per
second, the optimizer's share of the step, GFLOP/s of the step's matrix products against the backend's
measured 1024x1024 MatMul peak, and the process's peak resident memory. --json prints one JSON object per
line instead. --compare-torch also runs benchmarks/reference/nanogpt_torch.py (Debian python3-torch and
libopenblas0-pthread) for AdamW and Muon on nanogpt-tiny with the same thread count, and prints the ratios.
On webgpu, parameters and optimizer state stay on the device between steps.`;

const TORCH_PAIRS: Record<string, string> = { adamw: "adamw", muon: "muon" };

async function child(args: { one: string; backend: string; threads: number; steps: number; peak: number }) {
  const [workload, optimizer] = args.one.split("/");
  const backend = await openBackend(args.backend, { threads: args.threads });
  console.log(JSON.stringify(await measureStep(backend, workload, optimizer, args.steps, args.peak)));
}

async function runChild(one: string, backend: string, threads: number, steps: number, peak: number): Promise<BenchRow> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--one", one, "--backend", backend, "--threads", String(threads),
      "--steps", String(steps), "--peak", String(peak)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`bench of ${one} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

async function torchRows(threads: number, steps: number): Promise<Record<string, Record<string, number | string>>> {
  const script = new URL("../../benchmarks/reference/nanogpt_torch.py", import.meta.url).pathname;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [script, "--threads", String(threads), "--steps", String(steps)],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`--compare-torch needs /usr/bin/python3 with Debian's python3-torch: ${e.message}`);
  });
  if (!out.success) {
    throw new Error(`the PyTorch reference failed (apt-get install python3-torch libopenblas0-pthread): ` +
      new TextDecoder().decode(out.stderr).trim().split("\n").pop());
  }
  const rows = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  return Object.fromEntries(rows.map((r) => [r.optimizer, r]));
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "-");

function table(rows: BenchRow[]): string {
  const head = ["workload", "optimizer", "median ms", "min ms", "items/s", "opt share", "GFLOP/s", "of peak", "peak MiB"];
  const body = rows.map((r) => [r.workload, r.optimizer, fmt(r.median_ms), fmt(r.min_ms), fmt(r.tokens_per_s, 0),
    `${fmt(100 * r.optimizer_share, 0)}%`, fmt(r.gflops), `${fmt(100 * r.peak_fraction, 0)}%`, fmt(r.peak_rss_mb, 0)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n");
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: "string", default: "native" },
      threads: { type: "string", default: "2" },
      steps: { type: "string", default: "20" },
      workloads: { type: "string", default: "nanogpt-tiny,cnn-tiny" },
      optimizers: { type: "string" },
      json: { type: "boolean", default: false },
      "compare-torch": { type: "boolean", default: false },
      one: { type: "string" },
      peak: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const backendName = parseBackendName(values.backend!);
  const threads = intOption("threads", values.threads)!;
  const steps = intOption("steps", values.steps)!;
  if (values.one) {
    await child({ one: values.one, backend: backendName, threads, steps, peak: Number(values.peak) });
    return 0;
  }
  const optimizers = values.optimizers?.split(",") ?? presetNames();
  const unknown = optimizers.filter((o) => !presetNames().includes(o));
  if (unknown.length) throw new Error(`unknown optimizers ${unknown.join(", ")}; valid: ${presetNames().join(", ")}`);
  const workloads = values.workloads!.split(",");
  const peak = await matmulPeak(await openBackend(backendName, { threads }));
  if (!values.json) console.log(`${backendName}, ${threads} threads: measured MatMul peak ${fmt(peak)} GFLOP/s (1024x1024)`);
  const jobs = workloads.flatMap((w) => optimizers.map((o) => `${w}/${o}`));
  const bar = new ProgressBar("bench", jobs.length);
  const rows: BenchRow[] = [];
  for (const [i, one] of jobs.entries()) {
    bar.update(i, one);
    const row = await runChild(one, backendName, threads, steps, peak);
    rows.push(row);
    if (values.json) console.log(JSON.stringify(row));
  }
  bar.finish();
  if (!values.json) console.log(table(rows));
  if (values["compare-torch"]) {
    const torch = await torchRows(threads, steps);
    for (const [ours, theirs] of Object.entries(TORCH_PAIRS)) {
      const row = rows.find((r) => r.workload === "nanogpt-tiny" && r.optimizer === ours);
      const t = torch[theirs];
      if (!row || !t) continue;
      const line = {
        compare: `nanogpt-tiny/${ours}`,
        lmo_bench_median_ms: row.median_ms,
        torch_median_ms: t.median_ms,
        ratio: row.median_ms / Number(t.median_ms),
        lmo_bench_optimizer_share: row.optimizer_share,
        torch_optimizer_share: t.optimizer_share,
        lmo_bench_peak_rss_mb: row.peak_rss_mb,
        torch_peak_rss_mb: t.peak_rss_mb,
      };
      console.log(values.json ? JSON.stringify(line) :
        `nanogpt-tiny/${ours}: lmo-bench ${fmt(row.median_ms)} ms vs PyTorch eager ${fmt(Number(t.median_ms))} ms ` +
          `(ratio ${line.ratio.toFixed(2)}); optimizer share ${fmt(100 * row.optimizer_share, 0)}% vs ` +
          `${fmt(100 * Number(t.optimizer_share), 0)}%; peak memory ${fmt(row.peak_rss_mb, 0)} vs ${fmt(Number(t.peak_rss_mb), 0)} MiB`);
    }
  }
  return 0;
}

if (import.meta.main) runMain(main);
