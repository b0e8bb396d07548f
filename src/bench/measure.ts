/**
 * Benchmark measurements of one training step (forward, backward and update as one graph run), the
 * forward+backward alone, and the MatMul peak of a backend, all timed with warmup and reported as min and
 * median (machines are noisy; compare ratios measured in one run).
 */
import { exportOnnx, Graph, matmul } from "../graph/mod.ts";
import { makeWorkload } from "../models/presets.ts";
import type { Workload } from "../models/types.ts";
import { makeOptimizer } from "../optim/mod.ts";
import type { Optimizer } from "../optim/types.ts";
import type { Backend, HostData } from "../runtime/backend.ts";
import { type Feed, Program } from "../runtime/program.ts";
import { Rng } from "../trace/seeds.ts";
import { advance, initialFeeds } from "../train/loop.ts";
import { batchInput, buildGradGraph, buildStepGraph, type StepGraph } from "../train/step.ts";
import { summarizeTimes } from "../stats/times.ts";

/** One benchmark row (the `--json` line format). */
export interface BenchRow {
  workload: string;
  /** The workload preset's overridden options ({} for the preset itself). */
  model: Record<string, unknown>;
  backend: string;
  threads: number;
  /** Whether the backend's intra-op workers spun while waiting (native; src/runtime/spin.ts). */
  spinning: boolean;
  optimizer: string;
  median_ms: number;
  min_ms: number;
  /** Tokens (text) or images per second at the median step time. */
  tokens_per_s: number;
  /** 1 - (forward+backward median) / (step median): the optimizer's share of a step. */
  optimizer_share: number;
  forward_backward_median_ms: number;
  /** Matrix-product FLOPs of the step per second at the median, and as a fraction of the MatMul peak. */
  gflops: number;
  matmul_peak_gflops: number;
  peak_fraction: number;
  /** Peak resident memory of the process (VmHWM), MiB. */
  peak_rss_mb: number;
}

/** Random batches in the workload's layout (token ids / labels below their bounds, images normal). */
export function syntheticBatch(workload: Workload, rng: Rng): Record<string, HostData> {
  const cfg = workload.config as Record<string, unknown>;
  const bound = workload.kind === "text" ? Number(cfg.vocab) : Number(cfg.classes);
  const out: Record<string, HostData> = {};
  for (const b of workload.batch) {
    const n = b.shape.reduce((a, c) => a * c, 1);
    out[b.name] = b.dtype === "int32"
      ? Int32Array.from({ length: n }, () => rng.int(bound))
      : rng.normalArray(n);
  }
  return out;
}

async function time(n: number, warmup: number, fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** GFLOP/s of an n x n float32 MatMul on the backend (the best of `runs` after warmup). */
export async function matmulPeak(backend: Backend, n = 1024, runs = 10): Promise<number> {
  const g = new Graph();
  const model = exportOnnx({ c: matmul(g.input("a", [n, n]), g.input("b", [n, n])) });
  const program = await Program.load(backend, model);
  const rng = new Rng(n);
  const feeds = { a: rng.normalArray(n * n), b: rng.normalArray(n * n) };
  try {
    const ms = await time(runs, 2, async () => void await program.runToHost(feeds));
    return (2 * n ** 3) / (Math.min(...ms) / 1e3) / 1e9;
  } finally {
    await program.release();
  }
}

/** Peak resident set size of this process in MiB (Linux /proc; NaN elsewhere). */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A loaded training step on synthetic data: one call runs one step; release frees its session. */
export interface StepRunner {
  workload: Workload;
  stepGraph: StepGraph;
  /** The step's feeds (parameters and state advance with each step). */
  feeds: Record<string, Feed>;
  step(): Promise<void>;
  release(): Promise<void>;
}

/** Loads the lean step graph of (workload with overrides, optimizer) on a backend, fed one fixed synthetic batch. */
export async function openStepRunner(
  backend: Backend,
  workloadName: string,
  optimizer: Optimizer,
  modelOverrides: Record<string, unknown> = {},
): Promise<StepRunner> {
  const workload = makeWorkload(workloadName, modelOverrides);
  const stepGraph = buildStepGraph(workload, optimizer);
  const rng = new Rng(7);
  const batch = syntheticBatch(workload, rng);
  const feeds: Record<string, Feed> = initialFeeds(workload, stepGraph.state, 0);
  for (const [k, v] of Object.entries(batch)) feeds[batchInput(k)] = v;
  feeds.lr = new Float32Array([1e-4]);
  // The lean step graph is what a run executes on every step that logs no per-layer rows.
  const program = await Program.load(backend, stepGraph.lean, { keepOutputsOnDevice: true });
  const fetches = program.outputs.map((o) => o.name);
  let k = 0;
  return {
    workload,
    stepGraph,
    feeds,
    async step() {
      feeds.step = new Float32Array([k++]);
      const out = await program.run(feeds, fetches);
      advance(backend, feeds, out, stepGraph);
      await backend.read(out.loss);
    },
    release: () => program.release(),
  };
}

/**
 * Measures one (workload, optimizer) on a backend: `steps` timed steps after 3 warmup steps; `overrides`
 * change the workload preset's options (e.g. `{ width: 256, heads: 8 }`).
 */
export async function measureStep(
  backend: Backend,
  workloadName: string,
  optimizerName: string,
  steps: number,
  peakGflops: number,
  overrides: Record<string, unknown> = {},
): Promise<BenchRow> {
  // Both sessions stay open until the end: ONNX Runtime's WebGPU device lives only while a session does,
  // and the parameters the gradient graph reads are the step's device-resident outputs.
  const step = await openStepRunner(backend, workloadName, makeOptimizer(optimizerName), overrides);
  const { workload, stepGraph, feeds } = step;
  const gradProgram = await Program.load(backend, buildGradGraph(workload).model, {
    keepOutputsOnDevice: true,
  });
  const stepMs = await time(steps, 3, () => step.step());
  const fbMs = await time(steps, 3, async () => {
    const out = await gradProgram.run(feeds);
    await backend.read(out.loss);
    for (const t of Object.values(out)) backend.dispose(t);
  });
  await gradProgram.release();
  await step.release();
  const s = summarizeTimes(stepMs);
  const fb = summarizeTimes(fbMs);
  const cfg = workload.config as Record<string, number>;
  const items = workload.kind === "text" ? cfg.batch * cfg.context : cfg.batch;
  const gflops = stepGraph.flops / (s.medianMs / 1e3) / 1e9;
  return {
    workload: workloadName,
    model: overrides,
    backend: backend.name,
    threads: backend.info().threads,
    spinning: backend.info().spinning ?? false,
    optimizer: optimizerName,
    median_ms: s.medianMs,
    min_ms: s.minMs,
    tokens_per_s: items / (s.medianMs / 1e3),
    optimizer_share: Math.max(0, 1 - fb.medianMs / s.medianMs),
    forward_backward_median_ms: fb.medianMs,
    gflops,
    matmul_peak_gflops: peakGflops,
    peak_fraction: gflops / peakGflops,
    peak_rss_mb: peakRssMb(),
  };
}
