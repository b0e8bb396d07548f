/**
 * `deno task report DIR...`: rebuilds a reproduction report from existing run directories. Each DIR is a
 * run directory or any folder holding run directories at any depth (a reproduce output folder, a shard's
 * folder copied from another machine...); runs of the same config are merged by config hash.
 */
import { parseArgs } from "node:util";
import { assembleReport, inferScale, loadRuns, verdictTableText } from "../report/assemble.ts";
import { type Scale, SCALES } from "../suite/scales.ts";
import { writeReport } from "../report/html.ts";
import { pathExists } from "../trace/fs_util.ts";
import { manifestPath } from "../trace/run_dir.ts";
import { runMain } from "./args.ts";

const HELP = `deno task report DIR... [options]

Builds one HTML report (verdicts on the paper claims, LR sweeps, smoothness fits, step times) from run
directories. Each DIR is a run directory or a folder holding run directories at any depth; runs of the same
config found in several folders (shards, machines) count once. Unfinished, failed and damaged run
directories (a truncated table, no manifest.json...) are left out with a warning naming each and why.

  --out DIR     where index.html, verdicts.json and the charts' SVG files go (default: the one DIR given,
                if it is not a run directory itself; else reports/report)
  --scale S     ${
  SCALES.join(" | ")
}: the scale whose suite workloads feed the claims (default: from the runs)
  --title T     report title (default "lmo-bench reproduction (<scale> scale)")
  -h, --help    this text`;

/** Runs `deno task report` with `argv`; lines go to `print`. Returns the exit code. */
export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      scale: { type: "string" },
      title: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  if (!positionals.length) {
    throw new Error("give at least one run directory or folder of run directories; see --help");
  }
  if (values.scale !== undefined && !(SCALES as readonly string[]).includes(values.scale)) {
    throw new Error(`--scale must be one of ${SCALES.join(", ")}, got "${values.scale}"`);
  }
  const { runs, skipped } = await loadRuns(positionals);
  for (const s of skipped) print(`warning: left out ${s.dir}: ${s.reason}`);
  if (!runs.length) {
    throw new Error(
      `no finished runs under ${positionals.join(", ")} (${skipped.length} left out, listed above)`,
    );
  }
  const scale = (values.scale as Scale | undefined) ?? inferScale(runs);
  const single = positionals.length === 1 && !pathExists(manifestPath(positionals[0]));
  const out = values.out ?? (single ? positionals[0] : "reports/report");
  const report = await assembleReport(runs, {
    scale,
    title: values.title ?? `lmo-bench reproduction (${scale} scale)`,
    command: ["deno task report", ...argv].join(" "),
    config: { inputs: positionals, scale, runs: runs.length, left_out: skipped.length },
    outDir: out,
    skipped,
  });
  const { html, svgs, verdicts, markdown } = await writeReport(out, report);
  print(
    `report: ${html} (${runs.length} runs, ${svgs.length} charts, also as SVG); verdicts as data: ${verdicts}, ` +
      `as Markdown: ${markdown}\n`,
  );
  print(verdictTableText(report.verdicts));
  return 0;
}

if (import.meta.main) runMain((argv) => main(argv));
