/** `deno task check [--update]`: the regression check against the committed baseline (see src/suite/check.ts). */
import { parseArgs } from "node:util";
import { GRAPH_OPTIMIZATIONS, parseBackendName, parseGraphOptimization } from "../runtime/mod.ts";
import {
  type Baseline,
  baselinePath,
  CHECK_STEPS,
  checkRunIds,
  compareBaselines,
  formatDifference,
  MIN_RTOL,
  runCheck,
  SAFETY,
  TOLERANCE,
} from "../suite/check.ts";
import { intOption, runMain } from "./args.ts";
import { ProgressBar } from "./progress.ts";

const fmt = (rtol: number) => (Number.isFinite(rtol) ? rtol.toExponential(1) : "not compared (finite only)");
const tolerances = Object.entries(TOLERANCE)
  .map(([c, t]) => `    ${c.padEnd(14)} ${fmt(t.first)} at step 0, ${fmt(t.later)} later`).join("\n");

const HELP = `deno task check [--backend native|wasm] [--threads 1] [--graph-optimization all] [--update]

Trains every optimizer preset for ${CHECK_STEPS} steps on each tiny workload (fixed seeds) and compares the
train losses and per-layer norms with reports/baseline/<backend>.json. On a difference it prints the first
diverging step, layer and both values, and exits 1.

Tolerances: float32 kernels round differently on another CPU, thread count or ORT graph optimization level,
and the optimizers amplify that (Adam's 1 / (sqrt(v) + eps) on near-zero gradients, Newton-Schulz on small
singular values). Each column's relative tolerance is ${SAFETY} x the largest spread measured between such honest
variants (at least ${
  MIN_RTOL.toExponential(0)
}), at step 0 and at later steps (src/suite/check.ts, MEASURED_SPREAD):
${tolerances}
So the check passes on any machine of the kind and across --threads and --graph-optimization, and still
catches --opt.lr x 1.0001 at step 0 (docs/design.md lists what else it catches and from which size).
Native convolutions run as ORT's plain Conv here, not in the NCHWc layout that runs use: that layout sums
channels in blocks of 8 (AVX2) or 16 (AVX-512), which would tie the baseline to one CPU family.

  --backend B               native (default) or wasm
  --threads N               intra-op / wasm threads (default 1; the baseline may have been written with another)
  --graph-optimization L    ORT graph optimization level: ${GRAPH_OPTIMIZATIONS.join(", ")} (default all)
  --update                  rewrite the baseline and say which runs changed
  --only IDS                comma-separated run ids (${checkRunIds().slice(0, 2).join(", ")}, ...)`;

/** How many runs of `now` differ from `old` at all (bit for bit). */
function rewritten(old: Baseline, now: Baseline): number {
  return Object.entries(now.runs).filter(([id, t]) => JSON.stringify(old.runs[id]) !== JSON.stringify(t))
    .length;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: "string", default: "native" },
      threads: { type: "string", default: "1" },
      "graph-optimization": { type: "string", default: "all" },
      update: { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const backend = parseBackendName(values.backend!);
  const threads = intOption("threads", values.threads)!;
  const graphOptimization = parseGraphOptimization(values["graph-optimization"]!);
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((id) => !checkRunIds().includes(id));
  if (unknown?.length) {
    throw new Error(`unknown check runs: ${unknown.join(", ")}; valid: ${checkRunIds().join(", ")}`);
  }
  const path = baselinePath(backend);
  const old: Baseline | null = await Deno.readTextFile(path).then(JSON.parse, (e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  });
  if (!old && !values.update) {
    throw new Error(`no baseline at ${path}; create it with deno task check --backend ${backend} --update`);
  }
  const bar = new ProgressBar(`check ${backend}`, only?.length ?? checkRunIds().length);
  const now = await runCheck({
    backend,
    threads,
    graphOptimization,
    only,
    onRun: (id, i) => bar.update(i, id),
  });
  bar.finish();
  const compared: Baseline = old && only
    ? { ...old, runs: Object.fromEntries(only.map((id) => [id, old.runs[id]])) }
    : old!;
  const diffs = old ? compareBaselines(compared, now) : [];
  if (values.update) {
    const merged = old && only ? { ...old, runs: { ...old.runs, ...now.runs } } : now;
    await Deno.mkdir(new URL(".", `file://${path}`).pathname, { recursive: true });
    await Deno.writeTextFile(path, JSON.stringify(merged, null, 1) + "\n");
    console.log(
      old
        ? `baseline updated: ${rewritten(compared, now)} of ${
          Object.keys(now.runs).length
        } run(s) have new values, ` +
          `${diffs.length} of them beyond the tolerances`
        : `baseline written: ${Object.keys(now.runs).length} runs`,
    );
    for (const d of diffs) console.log(`  ${formatDifference(d)}`);
    return 0;
  }
  const total = Object.keys(now.runs).length;
  if (diffs.length === 0) {
    console.log(`check passed: ${total} runs match ${path} within the measured tolerances (see --help)`);
    return 0;
  }
  console.log(`check failed: ${diffs.length} of ${total} runs differ from ${path}:`);
  for (const d of diffs) console.log(`  ${formatDifference(d)}`);
  console.log("If the change is intended, run deno task check --update and commit the new baseline.");
  return 1;
}

if (import.meta.main) runMain(main);
