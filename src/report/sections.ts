/**
 * The sections of a reproduction report, built from run directories: the LR sweeps (basin plots with seed
 * bands, open edges and LR-extension runs marked, basin tables, the ranking at half and full horizon,
 * training curves at each optimizer's best LR), steps to target, the per-layer smoothness fits, Gluon
 * against tuned radii, step times, and (folded, at the end) the runs table and links to every run's raw
 * Arrow files. Curves are
 * thinned to at most {@link MAX_SERIES_POINTS} points per series so the embedded data stays small.
 */
import { relative } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { layersChartSpec } from "../smoothness/chart.ts";
import { median } from "../stats/sample.ts";
import { summarizeTimes } from "../stats/times.ts";
import { pathExists } from "../trace/fs_util.ts";
import { filePath, streamPath } from "../trace/arrow_read.ts";
import {
  type CurvePoint,
  lrBasinSpec,
  type ReportTable,
  stepsToTargetSpec,
  tableFromRecords,
  trainingCurvesSpec,
} from "./charts.ts";
import { meanEstimate } from "../stats/estimate.ts";
import { stepsToTarget } from "./target.ts";
import { formatEstimate } from "./verdicts.ts";
import { TIMINGS_TABLE } from "../trace/timings.ts";
import { analyzeBasin, DEFAULT_BASIN_LOSS_TOL, isDiverged } from "../stats/basin.ts";
import { formatNumber } from "./claims.ts";
import type { ReportLink, ReportSection } from "./html.ts";
import type { RunRecord } from "./assemble.ts";
import {
  bestLrLoss,
  type Horizon,
  layersWithRole,
  medianStepMs,
  runLabel,
  type SmoothnessFit,
  stepMs,
  sweepPoints,
} from "./measure.ts";

/** The most points a curve keeps per series (first and last always kept). */
export const MAX_SERIES_POINTS = 300;

/** Evenly spaced elements of `items`, at most `max`, always with the first and the last. */
export function downsample<T>(items: readonly T[], max = MAX_SERIES_POINTS): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]);
}

/** A chart id from free text: letters, digits, "_" and "-" only. */
function chartId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^[^A-Za-z0-9]+/, "");
}

/** The run's name: its directory's name (the job id's slug and config hash under `deno task reproduce`). */
export function runName(run: RunRecord): string {
  return run.dir.replace(/\/+$/, "").split("/").pop()!;
}

/** The sections of the report; `outDir` is where index.html goes (raw-data links are relative to it). */
export function reportSections(
  runs: readonly RunRecord[],
  fits: readonly SmoothnessFit[],
  outDir: string,
): ReportSection[] {
  return [
    ...sweepSections(runs),
    ...stepsToTargetSections(runs),
    ...fits.map(smoothnessSection),
    ...gluonSections(runs),
    stepTimeSection(runs),
    runsSection(runs),
    rawDataSection(runs, outDir),
  ].filter((s): s is ReportSection => s !== null);
}

/** The table of every run in the report. */
function runsSection(runs: readonly RunRecord[]): ReportSection {
  const suites = [...new Set(runs.map((r) => r.config.suite || "(none)"))];
  const counts = suites.map((s) => `${s}: ${runs.filter((r) => (r.config.suite || "(none)") === s).length}`);
  return {
    heading: "Runs",
    folded: true,
    text: `${runs.length} runs (${counts.join(", ")}). A run is a directory; see "Raw data" for its files.`,
    tables: [tableFromRecords(runs.map((r) => ({
      run: runName(r),
      suite: r.config.suite,
      workload: r.config.workload,
      optimizer: runLabel(r),
      lr: r.lr,
      seed: r.config.seed,
      steps: r.config.steps,
      status: r.diverged
        ? `diverged${r.manifest.diverged_step === null ? "" : ` at step ${r.manifest.diverged_step}`}`
        : r.manifest.status,
      "final train loss": r.steps.trainLoss.at(-1) ?? null,
      "final val loss": r.finalValLoss,
    })))],
  };
}

/** The labels of the runs in sorted order: the colour domain of a chart of them. */
function colorDomainOf(runs: readonly RunRecord[]): string[] {
  return [...new Set(runs.map(runLabel))].sort();
}

/**
 * Training-loss lines per (optimizer, seed) with validation points on top; colours follow `colorDomain`
 * (default: the runs' own labels), so charts that pass the same list colour an optimizer alike.
 */
function curvesSpec(
  runs: readonly RunRecord[],
  title: string,
  colorDomain = colorDomainOf(runs),
): TopLevelSpec {
  const curve = (r: RunRecord, steps: readonly number[], values: readonly number[]): CurvePoint[] =>
    downsample(
      steps.map((step, i) => ({ optimizer: runLabel(r), step, value: values[i], seed: r.config.seed })),
    );
  const train = runs.flatMap((r) => curve(r, r.steps.step, r.steps.trainLoss));
  const val = runs.flatMap((r) => curve(r, r.val.step, r.val.loss).filter((p) => Number.isFinite(p.value)));
  const line = trainingCurvesSpec(train, { title, yTitle: "loss", colorDomain }) as Record<string, any>;
  if (!val.length) return line as TopLevelSpec;
  const { $schema, width, height, data, mark, encoding } = line;
  return {
    $schema,
    title: { text: title, subtitle: "lines: training loss per seed; diamonds: validation loss" },
    width,
    height,
    layer: [
      { data, mark, encoding },
      {
        data: { values: val },
        mark: { type: "point", shape: "diamond", filled: true, size: 60, opacity: 1 },
        encoding: {
          x: encoding.x,
          y: encoding.y,
          color: encoding.color,
          tooltip: [
            { field: "optimizer", type: "nominal" },
            { field: "seed", type: "nominal" },
            { field: "step", type: "quantitative" },
            { field: "value", type: "quantitative", format: ".4f", title: "validation loss" },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}

/** Grid steps beyond the scale's base LR grid (the `lr_extension` tag of LR-extension runs; 0 inside it). */
export function lrExtension(run: RunRecord): number {
  return Number(run.config.tags.lr_extension ?? 0);
}

/** "2.98 [2.95, 3.01]" for a sample of per-seed values, or the value alone below two seeds. */
function meanWithInterval(values: readonly number[]): string | null {
  return values.length ? formatEstimate(meanEstimate(values)) : null;
}

/**
 * Per workload of the lr-sweep suite: the basin plot (seed band, open edges, LRs outside the base grid),
 * the basin table, the ranking at half and at the full horizon, and the curves at the best LRs.
 */
function sweepSections(runs: readonly RunRecord[]): ReportSection[] {
  const workloads = [
    ...new Set(runs.filter((r) => r.config.suite === "lr-sweep").map((r) => r.config.workload)),
  ];
  return workloads.map((workload) => {
    const sweepRuns = runs.filter((r) => r.config.suite === "lr-sweep" && r.config.workload === workload);
    const colorDomain = colorDomainOf(sweepRuns);
    const points = sweepPoints(runs, workload);
    const basins = new Map([...points.entries()].map(([optimizer, pts]) => [optimizer, analyzeBasin(pts)]));
    const basinRows = [...points.entries()].map(([optimizer, pts]) => {
      const basin = basins.get(optimizer);
      const open = basin
        ? [basin.lowEdgeOpen ? "low" : "", basin.highEdgeOpen ? "high" : ""].filter(Boolean)
        : [];
      return {
        optimizer,
        "best lr": basin?.bestLr ?? null,
        "best val loss (median)": basin?.bestLoss ?? null,
        "mean [95% interval]": meanWithInterval(bestLrLoss(pts)),
        "basin low lr": basin?.lrLow ?? null,
        "basin high lr": basin?.lrHigh ?? null,
        "width (decades)": basin ? `${open.length ? "≥ " : ""}${formatNumber(basin.width)}` : null,
        "open edge": open.join(", "),
        runs: pts.length,
        diverged: pts.filter(isDiverged).length,
      };
    });
    const bestRuns = sweepRuns.filter((r) => r.lr === basins.get(r.config.optimizer)?.bestLr);
    const openEdges = [...basins.entries()].flatMap(([optimizer, b]) =>
      b
        ? [
          ...(b.lowEdgeOpen
            ? [{ optimizer, lr: b.gridLow, loss: b.grid[0].loss, side: "low" as const }]
            : []),
          ...(b.highEdgeOpen
            ? [{ optimizer, lr: b.gridHigh, loss: b.grid.at(-1)!.loss, side: "high" as const }]
            : []),
        ]
        : []
    );
    const steps = sweepRuns[0].config.steps;
    const extended = sweepRuns.filter((r) => lrExtension(r) !== 0).length;
    return {
      heading: `LR sweep: ${workload}`,
      text:
        `Final validation loss after ${steps} steps against the learning rate, per optimizer. The basin is ` +
        `the LR range around the best LR whose loss is within ${
          formatNumber(DEFAULT_BASIN_LOSS_TOL * 100)
        }% ` +
        `of the best (edges interpolated in log LR; seeds combine by the median loss per LR, so an LR where at ` +
        `least half the seeds diverged is outside it). A basin that reaches the end of the grid is open there ` +
        `(triangles in the plot): its width is only a lower bound. ${
          extended ? `${extended} runs lie outside the scale's base grid (LR extensions, ringed). ` : ""
        }The curves below are each optimizer's runs at its best LR.`,
      charts: [
        {
          id: chartId(`sweep-${workload}`),
          spec: lrBasinSpec(
            sweepRuns.map((r) => ({
              optimizer: r.config.optimizer,
              lr: r.lr,
              loss: r.finalValLoss ?? NaN,
              diverged: r.diverged,
              seed: r.config.seed,
              extension: lrExtension(r) !== 0,
            })),
            { title: `${workload}: final validation loss vs learning rate`, colorDomain, openEdges },
          ),
        },
        {
          id: chartId(`curves-${workload}`),
          spec: curvesSpec(bestRuns, `${workload}: training at each optimizer's best LR`, colorDomain),
        },
      ],
      tables: [
        tableFromRecords(basinRows, undefined, "LR basins (best val loss: median over seeds at the best LR)"),
        horizonRankingTable(runs, workload),
      ],
    };
  });
}

/**
 * Each optimizer's best-LR loss (median over seeds, best LR chosen at each horizon) and its rank at half
 * the horizon and at the end, with the optimizers whose rank changes marked.
 */
function horizonRankingTable(runs: readonly RunRecord[], workload: string): ReportTable {
  const bestAt = (horizon: Horizon) =>
    new Map(
      [...sweepPoints(runs, workload, horizon).entries()].map(([o, pts]) => [o, analyzeBasin(pts)?.bestLoss]),
    );
  const half = bestAt("half"), full = bestAt("final");
  const rank = (m: Map<string, number | undefined>) => {
    const order = [...m.entries()].filter(([, v]) => v !== undefined).sort((a, b) => a[1]! - b[1]!);
    return new Map(order.map(([o], i) => [o, i + 1]));
  };
  const [rHalf, rFull] = [rank(half), rank(full)];
  const rows = [...full.keys()].sort((a, b) => (rFull.get(a) ?? Infinity) - (rFull.get(b) ?? Infinity)).map((
    o,
  ) => ({
    optimizer: o,
    "half horizon: best loss": half.get(o) ?? null,
    "half horizon: rank": rHalf.get(o) ?? null,
    "full horizon: best loss": full.get(o) ?? null,
    "full horizon: rank": rFull.get(o) ?? null,
    "ranking flips": rHalf.has(o) && rFull.has(o) && rHalf.get(o) !== rFull.get(o) ? "yes" : "",
  }));
  return tableFromRecords(
    rows,
    undefined,
    "Ranking at half the horizon (last evaluation at or before half the steps) and at the end",
  );
}

/** Per lr-sweep workload: steps to the target loss at each optimizer's best LR (see ./target.ts). */
function stepsToTargetSections(runs: readonly RunRecord[]): ReportSection[] {
  const workloads = [
    ...new Set(runs.filter((r) => r.config.suite === "lr-sweep").map((r) => r.config.workload)),
  ];
  return workloads.flatMap((workload) => {
    const t = stepsToTarget(runs, workload);
    if (!t) return [];
    const fmtSteps = (x: number) => (x === Infinity ? "not reached" : formatNumber(x));
    const rows = t.rows.map((r) => ({
      optimizer: r.optimizer,
      "best lr": r.bestLr,
      "steps per seed": r.seeds.map((s) => `${s.seed}: ${s.step === null ? "not reached" : s.step}`).join(
        ", ",
      ),
      "median steps": fmtSteps(r.steps.estimate),
      "95% interval": r.steps.ci ? `[${fmtSteps(r.steps.ci[0])}, ${fmtSteps(r.steps.ci[1])}]` : null,
      reached: `${r.seeds.filter((s) => s.step !== null).length}/${r.seeds.length}`,
    }));
    return [{
      heading: `Steps to target: ${workload}`,
      text:
        `Target validation loss ${formatNumber(t.target)}: the largest best-LR loss over the optimizers ` +
        `(${t.setBy}; median over seeds), the loss every optimizer's typical tuned run reaches by the end. Per ` +
        `seed, the first evaluation at or below it at the optimizer's best LR; a seed that never gets there ` +
        `is "not reached", never a number. Median over seeds with a bootstrap 95% interval.`,
      charts: [{
        id: chartId(`target-${workload}`),
        spec: stepsToTargetSpec(
          t.rows.map((r) => ({
            optimizer: r.optimizer,
            seeds: r.seeds,
            median: r.steps.estimate,
            ci: r.steps.ci,
          })),
          {
            title: `${workload}: steps to validation loss ${formatNumber(t.target)}`,
            maxStep: Math.max(
              ...runs.filter((r) => r.config.workload === workload).map((r) => r.config.steps),
            ),
            colorDomain: colorDomainOf(
              runs.filter((r) => r.config.suite === "lr-sweep" && r.config.workload === workload),
            ),
          },
        ),
      }],
      tables: [tableFromRecords(rows)],
    }];
  });
}

/** One smoothness run: the per-layer chart and the L0/L1 table. */
function smoothnessSection(sf: SmoothnessFit): ReportSection {
  const { run, fit } = sf;
  const hidden = layersWithRole(fit, ["hidden", "conv"]).map(({ fit }) => fit.L1);
  const embedding = layersWithRole(fit, ["tied_embedding", "embedding", "head"]).map(({ fit }) => fit.L1);
  const summary = hidden.length && embedding.length
    ? ` Median L1: hidden ${formatNumber(median(hidden))}, embedding/head ${
      formatNumber(median(embedding))
    } ` +
      `(ratio ${formatNumber(median(hidden) / median(embedding))}).`
    : "";
  const name = runName(run);
  return {
    heading: `Smoothness: ${run.config.workload} ${runLabel(run)} (${fit.geometry} norms)`,
    text: `Run ${name}: L̂ measured every ${run.config.smoothnessEvery} steps in ${fit.geometry} norms; ` +
      `(L0, L1) fitted per layer by hinge-penalised least squares with λ = ${fit.convention.lambda}` +
      `${
        fit.convention.dropFirst ? ", first estimate dropped" : ""
      }. The predicted step is 1/L1 where L0 is ` +
      `negligible, else Gluon's radius at the median ‖g‖*; the used radius is the median radius the run ` +
      `applied.${summary}`,
    charts: [{
      id: `smoothness-${run.manifest.config_hash.slice(0, 12)}`,
      spec: layersChartSpec(fit.layers.map((series, i) => {
        const kept = fit.convention.dropFirst ? 1 : 0;
        return {
          name: series.layer,
          step: series.step.slice(kept),
          lHat: series.lHat.slice(kept),
          gradDual: series.gradDual.slice(kept),
          fit: { ...fit.fits[i], mseRel: fit.fits[i].mse_rel },
        };
      })),
    }],
    tables: [tableFromRecords(
      fit.fits.map((f, i) => ({
        layer: f.layer,
        role: fit.layers[i].role,
        L0: f.L0,
        L1: f.L1,
        MSE_rel: f.mse_rel,
        above: f.above,
        "predicted step": f.predicted_step,
        "used radius": f.used_step,
      })),
      undefined,
      `(L0, L1) per layer of ${name}`,
    )],
  };
}

/** Gluon's fitted radii against the tuned uScion run it took its fit from, per workload and seed. */
function gluonSections(runs: readonly RunRecord[]): ReportSection[] {
  return runs.filter((r) => r.config.suite === "gluon-vs-tuned").map((gluon) => {
    const tuned = runs.find((r) =>
      r.config.suite === "gluon-smoothness" && r.config.workload === gluon.config.workload &&
      r.config.tags.variant === "uscion" && r.config.smoothnessNorms === "scion" &&
      r.config.seed === gluon.config.seed && r.config.steps === gluon.config.steps
    );
    const pair = tuned ? [gluon, tuned] : [gluon];
    const title =
      `${gluon.config.workload}, seed ${gluon.config.seed}: Gluon (fitted radii) vs uScion (tuned radii)`;
    return {
      heading: `Gluon vs tuned: ${gluon.config.workload}, seed ${gluon.config.seed}`,
      text: tuned
        ? `Gluon's per-layer radius t = ‖g‖*/(L0 + L1‖g‖*) from the (L0, L1) fit of the uScion run ${
          runName(tuned)
        }, ` +
          `against that run with Scion's tuned radii; same model, data, seed and steps.`
        : `The tuned uScion run this Gluon run took its fit from is not among the runs.`,
      charts: [{ id: `gluon-${gluon.manifest.config_hash.slice(0, 12)}`, spec: curvesSpec(pair, title) }],
      tables: [tableFromRecords(pair.map((r) => ({
        optimizer: runLabel(r),
        run: runName(r),
        status: r.manifest.status,
        "final train loss": r.steps.trainLoss.at(-1) ?? null,
        "final val loss": r.finalValLoss,
      })))],
    };
  });
}

/**
 * Median and minimum ms per step and items per second per workload and optimizer (smoothness runs excluded),
 * and the interleaved timing jobs' samples per variant with the machine load they saw.
 */
function stepTimeSection(runs: readonly RunRecord[]): ReportSection | null {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.config.smoothnessEvery > 0 || r.steps.wallS.length < 2) continue;
    const key = `${r.config.workload}\u0000${runLabel(r)}`;
    groups.set(key, [...groups.get(key) ?? [], r]);
  }
  const timed = runs.filter((r) => r.timings);
  if (!groups.size && !timed.length) return null;
  const rows = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, group]) => {
    const [workload, optimizer] = key.split("\u0000");
    const items = group.flatMap((r) =>
      r.steps.itemsPerS.filter((x): x is number => x !== null && Number.isFinite(x))
    );
    return {
      workload,
      optimizer,
      runs: group.length,
      "median ms/step": summarizeTimes(group.map(medianStepMs)).medianMs,
      "min ms/step": Math.min(...group.flatMap(stepMs)),
      "median items/s": items.length ? summarizeTimes(items).medianMs : null,
      backend: describeBackend(group[0]),
    };
  });
  const timingRows = timed.flatMap((r) => {
    const samples = r.timings!;
    return [...new Set(samples.map((t) => t.variant))].map((variant) => {
      const mine = samples.filter((t) => t.variant === variant);
      const ms = mine.map((t) => t.msPerStep);
      const load = mine.map((t) => t.load1);
      const times = summarizeTimes(ms);
      return {
        workload: r.config.workload,
        variant,
        rounds: ms.length,
        "median ms/step": times.medianMs,
        "min ms/step": times.minMs,
        "load (1 min)": `${formatNumber(Math.min(...load))}–${formatNumber(Math.max(...load))}`,
        backend: describeBackend(r),
      };
    });
  });
  return {
    heading: "Step time",
    text:
      "Per run, the median of the differences of the steps table's cumulative wall_s (first step left out); " +
      "per group, the median over runs and the minimum over all steps. Items are tokens (language models) or " +
      "images (CNN). Runs with the smoothness check on are left out: its host-side norms dominate their steps. " +
      "Wall-clock numbers depend on the machine and its load." +
      (timed.length
        ? " The timing claims are judged on the interleaved timing jobs (warm-up, then rounds of every variant " +
          "side by side, order alternating), paired by round; the load column is the 1-minute load average the " +
          "samples saw."
        : ""),
    tables: [
      ...(rows.length ? [tableFromRecords(rows)] : []),
      ...(timingRows.length ? [tableFromRecords(timingRows, undefined, "Interleaved timing")] : []),
    ],
  };
}

/** "native onnxruntime-node 1.30.0, 2 threads" (and the adapter on webgpu). */
export function describeBackend(run: RunRecord): string {
  const b = run.manifest.backend as Record<string, any>;
  const adapter = b.adapter ? `, ${b.adapter.vendor} ${b.adapter.device || b.adapter.architecture}` : "";
  return `${b.name} ${b.ortPackage} ${b.ortVersion}, ${b.threads} threads${adapter}`;
}

/** Links to each run's manifest and tables (finalised .arrow files, or .arrows streams of unfinished runs). */
function rawDataSection(runs: readonly RunRecord[], outDir: string): ReportSection {
  const links: ReportLink[] = [];
  for (const r of runs) {
    const rel = relative(outDir, r.dir) || ".";
    links.push({ label: `${runName(r)}: manifest.json`, href: `${rel}/manifest.json` });
    for (const table of ["steps", "layers", "evals", TIMINGS_TABLE.name]) {
      for (const path of [filePath(r.dir, table), streamPath(r.dir, table)]) {
        if (pathExists(path)) {
          links.push({
            label: `${runName(r)}: ${path.split("/").pop()}`,
            href: `${rel}/${path.split("/").pop()}`,
          });
        }
      }
    }
  }
  return {
    heading: "Raw data",
    folded: true,
    text:
      "Every run's manifest and Arrow tables (steps, per-layer diagnostics, evaluations; samples of timing " +
      "runs), relative to this " +
      "report; read them with apache-arrow, pyarrow or polars.",
    links,
  };
}
