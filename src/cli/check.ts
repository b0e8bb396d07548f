/** `deno task check [--update]`: the regression check against the committed baseline (see src/suite/check.ts). */
import { parseArgs } from "node:util";
import { parseBackendName } from "../runtime/mod.ts";
import { baselinePath, type Baseline, CHECK_STEPS, checkRunIds, compareBaselines, formatDifference, RTOL, runCheck } from "../suite/check.ts";
import { intOption, runMain } from "./args.ts";
import { ProgressBar } from "./progress.ts";

const HELP = `deno task check [--backend native|wasm] [--threads 1] [--update]

Trains every optimizer preset for ${CHECK_STEPS} steps on each tiny workload (fixed seeds and threads) and
compares losses and per-layer norms with reports/baseline/<backend>.json (relative tolerance ${RTOL}).
On a difference it prints the first diverging step, layer and both values, and exits 1.
  --update    rewrite the baseline and say which runs changed
  --only IDS  comma-separated run ids (${checkRunIds().slice(0, 2).join(", ")}, ...)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: "string", default: "native" },
      threads: { type: "string", default: "1" },
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
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((id) => !checkRunIds().includes(id));
  if (unknown?.length) throw new Error(`unknown check runs: ${unknown.join(", ")}; valid: ${checkRunIds().join(", ")}`);
  const path = baselinePath(backend);
  const old: Baseline | null = await Deno.readTextFile(path).then(JSON.parse, (e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  });
  if (!old && !values.update) throw new Error(`no baseline at ${path}; create it with deno task check --backend ${backend} --update`);
  if (old && old.threads !== threads) {
    throw new Error(`the baseline was recorded with --threads ${old.threads}; run the check with the same thread count`);
  }
  const bar = new ProgressBar(`check ${backend}`, only?.length ?? checkRunIds().length);
  const now = await runCheck({ backend, threads, only, onRun: (id, i) => bar.update(i, id) });
  bar.finish();
  const compared: Baseline = old && only ? { ...old, runs: Object.fromEntries(only.map((id) => [id, old.runs[id]])) } : old!;
  const diffs = old ? compareBaselines(compared, now) : [];
  if (values.update) {
    const merged = old && only ? { ...old, runs: { ...old.runs, ...now.runs } } : now;
    await Deno.mkdir(new URL(".", `file://${path}`).pathname, { recursive: true });
    await Deno.writeTextFile(path, JSON.stringify(merged, null, 1) + "\n");
    console.log(old ? `baseline updated: ${diffs.length} run(s) changed` : `baseline written: ${Object.keys(now.runs).length} runs`);
    for (const d of diffs) console.log(`  ${formatDifference(d)}`);
    return 0;
  }
  const total = Object.keys(now.runs).length;
  if (diffs.length === 0) {
    console.log(`check passed: ${total} runs match ${path} within relative tolerance ${RTOL}`);
    return 0;
  }
  console.log(`check failed: ${diffs.length} of ${total} runs differ from ${path}:`);
  for (const d of diffs) console.log(`  ${formatDifference(d)}`);
  console.log("If the change is intended, run deno task check --update and commit the new baseline.");
  return 1;
}

if (import.meta.main) runMain(main);
