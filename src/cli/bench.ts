/**
 * `deno task bench`: ms per training step (min and median) for every optimizer preset on the tiny
 * workloads, tokens/s, the optimizer's share of a step, achieved GFLOP/s against the backend's measured
 * MatMul peak, and peak memory. Each (workload, optimizer) runs in its own process so that its peak memory
 * is its own. `--compare-torch` runs the PyTorch eager reference (benchmarks/reference/) at 1 thread and at
 * the bench's thread count and compares against the faster; `--scaling` prints the width scaling table.
 */
import { parseArgs } from "node:util";
import { presetNames } from "../optim/mod.ts";
import { openBackend, parseBackendName, parseSpinPolicy, SPIN_ENV, SPIN_POLICIES } from "../runtime/mod.ts";
import { type BenchRow, matmulPeak, measureStep } from "../bench/measure.ts";
import { fitExponent, SCALING_WIDTHS, SCALING_WORKLOAD, scalingModel } from "../bench/scaling.ts";
import {
  compareThreads,
  SHARED_POOL_BLAS,
  TORCH_OPTIMIZERS,
  TORCH_WORKLOADS,
  type TorchComparison,
  type TorchModel,
  type TorchRow,
} from "../bench/torch.ts";
import { mergeRounds, roundRatios } from "../bench/rounds.ts";
import { median } from "../stats/sample.ts";
import { intOption, runMain } from "./args.ts";
import { ProgressBar } from "./progress.ts";

const HELP = `deno task bench [--backend native|wasm|webgpu] [--threads 2] [--spin auto] [--steps 20] [--json]
                 [--compare-torch] [--workloads nanogpt-tiny,cnn-tiny] [--optimizers adamw,muon,...] [--model JSON] [--rounds R] [--scaling]

Prints one row per (workload, optimizer): median and min ms per training step, tokens (images) per
second, the optimizer's share of the step, GFLOP/s of the step's matrix products against the backend's
measured 1024x1024 MatMul peak, and the process's peak resident memory. --json prints one JSON object per
line instead, each as its job finishes. On webgpu, parameters and optimizer state stay on the device
between steps. Progress goes to stderr: a bar with ETA on a terminal, else one line per finished job.

  --spin POLICY    native intra-op workers: ${SPIN_POLICIES.join(", ")}; auto (the default, also set by
                   ${SPIN_ENV}) spins only when the cores the threads need are idle as each
                   measurement starts; the "spin" column says in how many rounds it spun
  --model JSON     workload overrides for every workload, e.g. '{"batch":2}' (nanogpt-124m at batch 2)
  --compare-torch  also runs benchmarks/reference/torch_reference.py (Debian python3-torch and
                   libopenblas0-openmp, /usr/bin/python3) for AdamW and Muon on ${TORCH_WORKLOADS.join(", ")}
                   at 1 thread and at --threads, prints both, the cores each kept busy, its BLAS, and our
                   ratio to the faster; of --model it takes the batch only (the 124m row: --workloads
                   nanogpt-124m --model '{"batch":2}'). Its thread count holds for BLAS too; with
                   libopenblas0-pthread alone its BLAS threads oversubscribe the cores beside ATen's
  --rounds R       measure everything R times, ours and PyTorch's in alternating order, and read each
                   ratio per round (default 3 with --compare-torch, else 1); the table shows the median
                   of the rounds' medians and the fastest minimum
  --scaling        only the scaling table: ${SCALING_WORKLOAD} at widths ${
  SCALING_WIDTHS.join(", ")
} (768-token batch,
                   heads of 32) with AdamW (or the first --optimizers): step ms, tokens/s, GFLOP/s and the
                   fitted exponent of step time against width; with --compare-torch, PyTorch's beside ours`;

interface ChildArgs {
  one: string;
  backend: string;
  threads: number;
  steps: number;
  peak: number;
  model: Record<string, unknown>;
}

async function child(args: ChildArgs) {
  const [workload, optimizer] = args.one.split("/");
  const backend = await openBackend(args.backend, { threads: args.threads });
  console.log(
    JSON.stringify(await measureStep(backend, workload, optimizer, args.steps, args.peak, args.model)),
  );
}

async function runChild(args: ChildArgs): Promise<BenchRow> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--one",
      args.one,
      "--backend",
      args.backend,
      "--threads",
      String(args.threads),
      "--steps",
      String(args.steps),
      "--peak",
      String(args.peak),
      "--model",
      JSON.stringify(args.model),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`bench of ${args.one} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "-");

/** Rows of cells as aligned text columns. */
function columns(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n");
}

/** One line per job from every round's row of it: the merged row, and in how many rounds it spun. */
function table(jobRounds: BenchRow[][]): string {
  const head = [
    "workload",
    "optimizer",
    "spin",
    "median ms",
    "min ms",
    "items/s",
    "opt share",
    "GFLOP/s",
    "of peak",
    "peak MiB",
  ];
  return columns(
    head,
    jobRounds.map((rounds) => {
      const r = mergeRounds(rounds);
      return [
        r.workload,
        r.optimizer,
        `${rounds.filter((x) => x.spinning).length}/${rounds.length}`,
        fmt(r.median_ms),
        fmt(r.min_ms),
        fmt(r.tokens_per_s, 0),
        `${fmt(100 * r.optimizer_share, 0)}%`,
        fmt(r.gflops),
        `${fmt(100 * r.peak_fraction, 0)}%`,
        fmt(r.peak_rss_mb, 0),
      ];
    }),
  );
}

/**
 * The comparison of our rows of one workload with the reference at both thread counts, round by round:
 * `ours` maps an optimizer to its row in each round, `torch` holds the reference's rows of each round.
 */
function torchLines(
  ours: ReadonlyMap<string, BenchRow[]>,
  workload: string,
  torch: readonly TorchComparison[],
  json: boolean,
): string[] {
  const lines: string[] = [];
  for (const [name, theirs] of Object.entries(TORCH_OPTIMIZERS)) {
    const rounds = ours.get(`${workload}/${name}`);
    const bests = torch.map((t) => t.best.get(theirs));
    if (!rounds || bests.some((b) => !b)) continue;
    const row = mergeRounds(rounds);
    const threads = [...torch[0].byThreads.keys()];
    const acrossRounds = (t: number, read: (r: TorchRow) => number) =>
      median(torch.map((c) => {
        const r = c.byThreads.get(t)?.get(theirs);
        return r ? read(r) : NaN;
      }));
    const perThreads = Object.fromEntries(threads.map((t) => [t, acrossRounds(t, (r) => r.median_ms)]));
    const coresPerThreads = Object.fromEntries(threads.map((t) => [t, acrossRounds(t, (r) => r.cores)]));
    const blas = bests[0]!.blas;
    const ratio = roundRatios(rounds.map((r) => r.median_ms), bests.map((b) => b!.median_ms));
    const line = {
      compare: `${workload}/${name}`,
      rounds: rounds.length,
      lmo_bench_median_ms: row.median_ms,
      torch_median_ms_by_threads: perThreads,
      torch_cores_by_threads: coresPerThreads,
      torch_blas: blas,
      torch_best_threads_by_round: bests.map((b) => b!.threads),
      ratio: ratio.median,
      ratio_by_round: ratio.ratios,
      lmo_bench_optimizer_share: row.optimizer_share,
      torch_optimizer_share: median(bests.map((b) => b!.optimizer_share)),
      lmo_bench_peak_rss_mb: row.peak_rss_mb,
      torch_peak_rss_mb: Math.max(...bests.map((b) => b!.peak_rss_mb)),
    };
    const byThreads = Object.entries(perThreads).map(([t, ms]) =>
      `${fmt(ms)} ms at ${t} thread${t === "1" ? "" : "s"} (${fmt(coresPerThreads[t], 1)} cores busy)`
    );
    const blasNote = blas === SHARED_POOL_BLAS
      ? `, ${blas}`
      : `, ${blas}: NOT PyTorch at its best on several threads (apt-get install libopenblas0-openmp)`;
    const range = rounds.length > 1
      ? ` over ${rounds.length} rounds, range ${fmt(ratio.min, 2)}-${fmt(ratio.max, 2)}`
      : "";
    const text = [
      `${workload}/${name}: lmo-bench ${fmt(row.median_ms)} ms`,
      `vs PyTorch eager ${byThreads.join(", ")}${blasNote}`,
      `(ratio to the faster, per round: median ${fmt(ratio.median, 2)}${range});`,
      `optimizer share ${fmt(100 * row.optimizer_share, 0)}%`,
      `vs ${fmt(100 * line.torch_optimizer_share, 0)}%;`,
      `peak memory ${fmt(row.peak_rss_mb, 0)} vs ${fmt(line.torch_peak_rss_mb, 0)} MiB`,
    ].join(" ");
    lines.push(json ? JSON.stringify(line) : text);
  }
  return lines;
}

/** The scaling table: ours (and PyTorch's best) per width, and the fitted exponents. */
async function scaling(
  base: Omit<ChildArgs, "one" | "model">,
  optimizer: string,
  withTorch: boolean,
  json: boolean,
): Promise<string[]> {
  const ours: BenchRow[] = [];
  const theirs: (number | undefined)[] = [];
  for (const width of SCALING_WIDTHS) {
    const model = scalingModel(width);
    ours.push(await runChild({ ...base, one: `${SCALING_WORKLOAD}/${optimizer}`, model }));
    const torchName = TORCH_OPTIMIZERS[optimizer];
    theirs.push(
      withTorch && torchName
        ? (await compareThreads(SCALING_WORKLOAD, [torchName], base.threads, base.steps, model)).best.get(
          torchName,
        )?.median_ms
        : undefined,
    );
  }
  const flops = ours.map((r) => r.gflops * r.median_ms / 1e3);
  const body = ours.map((r, i) => {
    const t = theirs[i];
    return [
      String(SCALING_WIDTHS[i]),
      fmt(r.median_ms),
      fmt(r.tokens_per_s, 0),
      fmt(r.gflops),
      t === undefined ? "-" : fmt(t),
      t === undefined ? "-" : fmt(r.tokens_per_s * r.median_ms / t, 0),
      t === undefined ? "-" : fmt(flops[i] / (t / 1e3)),
      t === undefined ? "-" : (r.median_ms / t).toFixed(2),
    ];
  });
  const exponent = fitExponent(SCALING_WIDTHS, ours.map((r) => r.median_ms));
  const torchTimes = theirs.filter((t): t is number => t !== undefined);
  const torchExponent = torchTimes.length === SCALING_WIDTHS.length
    ? fitExponent(SCALING_WIDTHS, torchTimes)
    : NaN;
  if (json) {
    return [
      JSON.stringify({
        scaling: SCALING_WORKLOAD,
        optimizer,
        widths: SCALING_WIDTHS,
        ours,
        torch_median_ms: theirs,
        exponent,
        torch_exponent: torchExponent,
      }),
    ];
  }
  const head = ["width", "ms", "tokens/s", "GFLOP/s", "torch ms", "torch tokens/s", "torch GFLOP/s", "ratio"];
  return [
    `scaling: ${SCALING_WORKLOAD}/${optimizer}, ${base.backend} ${base.threads} threads, 768 tokens a step`,
    columns(head, body),
    `fitted exponent of step time against width: ours ${fmt(exponent, 2)}, PyTorch ${fmt(torchExponent, 2)}`,
  ];
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
      scaling: { type: "boolean", default: false },
      model: { type: "string", default: "{}" },
      rounds: { type: "string" },
      spin: { type: "string" },
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
  // The measuring children inherit the policy through the environment.
  if (values.spin !== undefined) Deno.env.set(SPIN_ENV, parseSpinPolicy(values.spin, "--spin"));
  const threads = intOption("threads", values.threads)!;
  const steps = intOption("steps", values.steps)!;
  const model = parseModel(values.model!);
  if (values.one) {
    await child({ one: values.one, backend: backendName, threads, steps, peak: Number(values.peak), model });
    return 0;
  }
  const optimizers = values.optimizers?.split(",") ?? presetNames();
  const unknown = optimizers.filter((o) => !presetNames().includes(o));
  if (unknown.length) {
    throw new Error(`unknown optimizers ${unknown.join(", ")}; valid: ${presetNames().join(", ")}`);
  }
  const workloads = values.workloads!.split(",");
  const notBatch = Object.keys(model).filter((k) => k !== "batch");
  if (values["compare-torch"] && notBatch.length) {
    throw new Error(
      `--compare-torch runs the reference at the presets' sizes and --model's batch only; drop ${
        notBatch.join(", ")
      }`,
    );
  }
  const opened = await openBackend(backendName, { threads });
  const peak = await matmulPeak(opened);
  if (!values.json) {
    const block = opened.info().nchwcBlock;
    const convolutions = block === undefined
      ? ""
      : `, convolutions ${block ? `NCHWc (block ${block})` : "plain"}`;
    console.log(
      `${backendName}, ${threads} threads${convolutions}: measured MatMul peak ${
        fmt(peak)
      } GFLOP/s (1024x1024)`,
    );
  }
  if (values.scaling) {
    const optimizer = values.optimizers?.split(",")[0] ?? "adamw";
    const base = { backend: backendName, threads, steps, peak };
    for (const line of await scaling(base, optimizer, values["compare-torch"]!, values.json!)) {
      console.log(line);
    }
    return 0;
  }
  const compare = values["compare-torch"]!;
  const rounds = intOption("rounds", values.rounds) ?? (compare ? 3 : 1);
  const torchOptimizers = optimizers.filter((o) => o in TORCH_OPTIMIZERS).map((o) => TORCH_OPTIMIZERS[o]);
  const jobs = workloads.flatMap((w) => optimizers.map((o) => `${w}/${o}`));
  const bar = new ProgressBar("bench", rounds * jobs.length);
  const ours = new Map<string, BenchRow[]>(jobs.map((j) => [j, []]));
  const torch = new Map<string, TorchComparison[]>();
  let done = 0;
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      const withTorch = compare && TORCH_WORKLOADS.includes(workload) && torchOptimizers.length > 0;
      const reference = async () => {
        const c = await compareThreads(workload, torchOptimizers, threads, steps, model as TorchModel);
        torch.set(workload, [...torch.get(workload) ?? [], c]);
      };
      // Alternating order: PyTorch after ours in even rounds, before in odd ones.
      if (withTorch && round % 2 === 1) await reference();
      for (const optimizer of optimizers) {
        const one = `${workload}/${optimizer}`;
        bar.update(done++, rounds > 1 ? `${one} (round ${round + 1}/${rounds})` : one);
        const row = await runChild({ one, backend: backendName, threads, steps, peak, model });
        ours.get(one)!.push(row);
        if (values.json) console.log(JSON.stringify({ ...row, round }));
        else bar.log(done, `${one}: median ${fmt(row.median_ms)} ms`);
      }
      if (withTorch && round % 2 === 0) await reference();
    }
  }
  bar.finish();
  if (!values.json) console.log(table(jobs.map((j) => ours.get(j)!)));
  for (const [workload, comparisons] of torch) {
    for (const line of torchLines(ours, workload, comparisons, values.json!)) console.log(line);
  }
  return 0;
}

/** The --model JSON object, or an error saying what is wrong with it. */
function parseModel(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`--model must be a JSON object such as '{"batch":2}': ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`--model must be a JSON object such as '{"batch":2}', got ${text}`);
  }
  return value as Record<string, unknown>;
}

if (import.meta.main) runMain(main);
