/**
 * `deno task smoothness`: fits Gluon's (L0, L1) per layer to measured smoothness estimates (a run
 * directory's `layers` table or a log of the Gluon authors) and prints, per layer, the fit, the stepsize it
 * predicts and the stepsize the run used.
 */

import { parseArgs } from "node:util";
import {
  AUTHORS_USED_STEPS,
  authorsLayers,
  type AuthorsLog,
  groupL1Ratio,
  LAYER_GROUPS,
  type LayerGroup,
  layersChartSpec,
  median,
  parseAuthorsLog,
} from "../smoothness/mod.ts";
import {
  type FitConvention,
  fitConvention,
  fitLayer,
  type LayerFit,
  type LayerSeries,
  readRunLayers,
  withoutFirstEstimate,
} from "../smoothness/run_fit.ts";

const GROUP_NAMES = LAYER_GROUPS.join(", ");
const PRESET_NAMES = Object.keys(AUTHORS_USED_STEPS).join(", ");

const USAGE = `Usage: deno task smoothness <run-dir | authors-log.txt> [options]

Fits L̂ ≈ L0 + L1·‖g‖* per layer by hinge-penalised least squares (L0, L1 >= 1e-6) and prints, per
layer, L0, L1, MSE_rel, the fraction of points above the line, the predicted stepsize (1/L1 where L0 is
negligible, else Gluon's g/(L0 + L1 g) at the median ‖g‖*) and the stepsize the run used.

Input: a run directory (its layers table: rows with l_hat and grad_dual_next; the used step is the
median radius) or a log of the Gluon authors' smoothness runs
("step:<k>/<total> (<param>) L_estimated: <L> norm_grad: <g>" or "step:<epoch> (<param>) ...").

Options:
  --lambda <λ>          weight of the extra penalty on points above the line (default 5; 0 with --norms euclidean)
  --norms scion|euclidean
                        norms the estimates were measured in (default scion); euclidean also applies the
                        authors' convention for such logs: λ = 0 and the first point dropped
  --drop-first          drop each layer's first estimate (default: only with --norms euclidean)
  --used <steps>        stepsizes the run used, per group (overriding a run directory's radius):
                        hidden=0.018,embed=1.08 (groups: ${GROUP_NAMES}),
                        or a preset of the authors' runs: ${PRESET_NAMES}
  --json                print a JSON array, one object per layer
  --chart <file>        write a faceted Vega-Lite spec of all layers (L̂ and the fitted line against step)
  -h, --help            show this help`;

/** The parsed command line. */
interface Options extends FitConvention {
  input: string;
  used: Partial<Record<LayerGroup, number>>;
  json: boolean;
  chart: string | undefined;
}

/** Layers of one input and the unit of their steps. */
interface LoadedLayers {
  stepUnit: "iteration" | "epoch";
  layers: LayerSeries[];
}

/** Runs the command with `args` (without the program name) and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(args);
  } catch (error) {
    console.error(`smoothness: ${oneLine(error)} (see --help)`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  try {
    await run(options);
    return 0;
  } catch (error) {
    console.error(`smoothness: ${oneLine(error)}`);
    return 1;
  }
}

/** An error's message on one line. */
function oneLine(error: unknown): string {
  return (error as Error).message.replace(/\s*\n\s*/g, " ");
}

/** Parses and checks the command line; its errors are usage errors (exit code 2). */
function parseOptions(args: string[]): Options | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lambda: { type: "string" },
      norms: { type: "string", default: "scion" },
      "drop-first": { type: "boolean" },
      used: { type: "string" },
      json: { type: "boolean", default: false },
      chart: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (positionals.length !== 1) {
    throw new Error(
      `expected one input (a run directory or an authors' log), got ${positionals.length}`,
    );
  }
  if (values.norms !== "scion" && values.norms !== "euclidean") {
    throw new Error(`--norms must be scion or euclidean, got "${values.norms}"`);
  }
  const convention = fitConvention(values.norms);
  const lambda = values.lambda === undefined ? convention.lambda : Number(values.lambda);
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new Error(`--lambda must be a number >= 0, got "${values.lambda}"`);
  }
  return {
    input: positionals[0],
    lambda,
    dropFirst: values["drop-first"] ?? convention.dropFirst,
    used: values.used === undefined ? {} : parseUsedSteps(values.used),
    json: values.json,
    chart: values.chart,
  };
}

/** Reads --used: a preset name or a comma-separated list of group=step. */
function parseUsedSteps(text: string): Partial<Record<LayerGroup, number>> {
  const preset = AUTHORS_USED_STEPS[text];
  if (preset) return preset;
  const steps: Partial<Record<LayerGroup, number>> = {};
  for (const part of text.split(",")) {
    const [group, value, ...rest] = part.split("=");
    const step = Number(value);
    if (!LAYER_GROUPS.includes(group as LayerGroup) || rest.length || !(Number.isFinite(step) && step > 0)) {
      throw new Error(
        `--used: "${part}" is not group=step with a positive step and a group among ${GROUP_NAMES}; ` +
          `or pass a preset: ${PRESET_NAMES}`,
      );
    }
    steps[group as LayerGroup] = step;
  }
  return steps;
}

/** Loads, fits and prints. */
async function run(options: Options): Promise<void> {
  const loaded = await loadLayers(options.input);
  const layers = options.dropFirst ? loaded.layers.map(withoutFirstEstimate) : loaded.layers;
  const results = layers.map((layer) =>
    fitLayer(layer, { lambda: options.lambda, dropFirst: false }, options.used)
  );
  if (options.json) console.log(JSON.stringify(results, null, 1));
  else console.log(formatReport(options, layers, results));
  if (options.chart) {
    const spec = layersChartSpec(
      layers.map((layer, i) => ({
        ...layer,
        name: layer.layer,
        fit: { ...results[i], mseRel: results[i].mse_rel },
      })),
      { stepTitle: loaded.stepUnit === "epoch" ? "epoch" : "iteration k" },
    );
    await Deno.writeTextFile(options.chart, JSON.stringify(spec));
    console.error(`smoothness: wrote ${options.chart}`);
  }
}

/** Dispatches on the input: a run directory or an authors' log file. */
async function loadLayers(path: string): Promise<LoadedLayers> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : (error as Error).message;
    throw new Error(`cannot read ${path}: ${reason}`);
  }
  if (info.isDirectory) return { stepUnit: "iteration", layers: await readRunLayers(path) };
  return layersOfAuthorsLog(parseAuthorsLog(await Deno.readTextFile(path), path));
}

/** An authors' log as layers, named where the model is certain. */
function layersOfAuthorsLog(log: AuthorsLog): LoadedLayers {
  const labels = authorsLayers(log);
  return {
    stepUnit: log.stepUnit,
    layers: log.params.map((series, i) => ({
      param: series.param,
      layer: labels?.[i].name ?? `param ${series.param}`,
      role: null,
      group: labels?.[i].group ?? null,
      step: series.step,
      lHat: series.lHat,
      gradDual: series.normGrad,
      recordedStep: null,
    })),
  };
}

/** The human-readable report: settings, the per-layer table, and per-group summaries. */
function formatReport(options: Options, layers: LayerSeries[], results: LayerFit[]): string {
  const rows = results.map((r, i) => [
    String(r.param),
    r.layer,
    layers[i].group ?? "-",
    String(layers[i].lHat.length),
    num(r.L0),
    num(r.L1),
    r.mse_rel.toFixed(4),
    r.above.toFixed(3),
    num(r.predicted_step, 4),
    r.used_step === null ? "-" : num(r.used_step, 4),
  ]);
  const header = [
    "param",
    "layer",
    "group",
    "n",
    "L0",
    "L1",
    "mse_rel",
    "above",
    "predicted_step",
    "used_step",
  ];
  const lines = [
    `${options.input}: λ = ${options.lambda}, L0, L1 >= 1e-6${
      options.dropFirst ? ", first estimate dropped" : ""
    }`,
    "",
    ...formatTable([header, ...rows]),
    "",
  ];
  const grouped = results.map((r, i) => ({ ...r, group: layers[i].group }));
  for (const group of LAYER_GROUPS) {
    const members = grouped.filter((r) => r.group === group);
    if (!members.length) continue;
    const l1 = members.map((r) => r.L1);
    const predicted = median(members.map((r) => r.predicted_step));
    const used = members.flatMap((r) => r.used_step === null ? [] : [r.used_step]);
    lines.push(
      `${group}: ${members.length} layer(s), L1 median ${num(median(l1))} (range ${num(Math.min(...l1))}..` +
        `${num(Math.max(...l1))}), predicted step median ${num(predicted, 4)}` +
        (used.length ? `, used median ${num(median(used), 4)}` : ""),
    );
  }
  for (const other of LAYER_GROUPS.slice(1)) {
    const ratio = groupL1Ratio(grouped, "hidden", other);
    if (ratio !== null) lines.push(`L1 ratio hidden/${other} (medians): ${num(ratio, 4)}`);
  }
  return lines.join("\n");
}

/** A number with `digits` significant digits, without trailing noise. */
function num(value: number, digits = 6): string {
  return String(Number(value.toPrecision(digits)));
}

/** Left-aligned columns separated by two spaces. */
function formatTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
}

if (import.meta.main) Deno.exit(await main(Deno.args));
