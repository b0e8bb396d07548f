/**
 * The sections of a reproduction report, built from run directories: the runs, the LR sweeps (basin plots
 * with seed bands, basin tables, training curves at each optimizer's best LR), the per-layer smoothness
 * fits, Gluon against tuned radii, step times, and links to every run's raw Arrow files. Curves are
 * thinned to at most {@link MAX_SERIES_POINTS} points per series so the embedded data stays small.
 */
import { relative } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { layersChartSpec } from "../smoothness/chart.ts";
import { median } from "../smoothness/predict.ts";
import { summarizeTimes } from "../stats/times.ts";
import { pathExists } from "../trace/fs_util.ts";
import { filePath, streamPath } from "../trace/arrow_read.ts";
import { type CurvePoint, lrBasinSpec, tableFromRecords, trainingCurvesSpec } from "./charts.ts";
import { basinWidth, DEFAULT_BASIN_LOSS_TOL, formatNumber } from "./claims.ts";
import type { ReportLink, ReportSection } from "./html.ts";
import type { RunRecord } from "./assemble.ts";
import {
  bestLrLoss,
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
    runsSection(runs),
    ...sweepSections(runs),
    ...fits.map(smoothnessSection),
    ...gluonSections(runs),
    stepTimeSection(runs),
    rawDataSection(runs, outDir),
  ].filter((s): s is ReportSection => s !== null);
}

/** The table of every run in the report. */
function runsSection(runs: readonly RunRecord[]): ReportSection {
  const suites = [...new Set(runs.map((r) => r.config.suite || "(none)"))];
  const counts = suites.map((s) => `${s}: ${runs.filter((r) => (r.config.suite || "(none)") === s).length}`);
  return {
    heading: "Runs",
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
    downsample(steps.map((step, i) => ({ optimizer: runLabel(r), step, value: values[i], seed: r.config.seed })));
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

/** Per workload of the lr-sweep suite: the basin plot, the basin table and the curves at the best LRs. */
function sweepSections(runs: readonly RunRecord[]): ReportSection[] {
  const workloads = [
    ...new Set(runs.filter((r) => r.config.suite === "lr-sweep").map((r) => r.config.workload)),
  ];
  return workloads.map((workload) => {
    const sweepRuns = runs.filter((r) => r.config.suite === "lr-sweep" && r.config.workload === workload);
    const colorDomain = colorDomainOf(sweepRuns);
    const points = sweepPoints(runs, workload);
    const basinRows = [...points.entries()].map(([optimizer, pts]) => {
      const basin = basinWidth(pts);
      const best = bestLrLoss(pts);
      return {
        optimizer,
        "best lr": basin?.bestLr ?? null,
        "best val loss": basin ? best.mean : null,
        "seed std": best.std ?? null,
        "basin low lr": basin?.lrLow ?? null,
        "basin high lr": basin?.lrHigh ?? null,
        "width (decades)": basin?.widthDecades ?? null,
        "open edge": basin
          ? [basin.openLow ? "low" : "", basin.openHigh ? "high" : ""].filter(Boolean).join(", ")
          : "",
        runs: pts.length,
        diverged: pts.filter((p) => p.diverged).length,
      };
    });
    const bestRuns = sweepRuns.filter((r) => {
      const basin = basinWidth(points.get(r.config.optimizer) ?? []);
      return basin !== undefined && r.lr === basin.bestLr;
    });
    const steps = sweepRuns[0].config.steps;
    return {
      heading: `LR sweep: ${workload}`,
      text:
        `Final validation loss after ${steps} steps against the learning rate, per optimizer. The basin is ` +
        `the LR range around the best LR whose loss is within ${
          formatNumber(DEFAULT_BASIN_LOSS_TOL * 100)
        }% of ` +
        `the best (edges interpolated in log LR; an LR where any seed diverged is outside it). The curves below ` +
        `are each optimizer's runs at its best LR.`,
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
            })),
            { title: `${workload}: final validation loss vs learning rate`, colorDomain },
          ),
        },
        {
          id: chartId(`curves-${workload}`),
          spec: curvesSpec(bestRuns, `${workload}: training at each optimizer's best LR`, colorDomain),
        },
      ],
      tables: [tableFromRecords(basinRows, undefined, "LR basins (loss: mean over seeds at the best LR)")],
    };
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

/** Median and minimum ms per step and items per second per workload and optimizer (smoothness runs excluded). */
function stepTimeSection(runs: readonly RunRecord[]): ReportSection | null {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.config.smoothnessEvery > 0 || r.steps.wallS.length < 2) continue;
    const key = `${r.config.workload}\u0000${runLabel(r)}`;
    groups.set(key, [...groups.get(key) ?? [], r]);
  }
  if (!groups.size) return null;
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
  return {
    heading: "Step time",
    text:
      "Per run, the median of the differences of the steps table's cumulative wall_s (first step left out); " +
      "per group, the median over runs and the minimum over all steps. Items are tokens (language models) or " +
      "images (CNN). Runs with the smoothness check on are left out: its host-side norms dominate their steps. " +
      "Wall-clock numbers depend on the machine and its load.",
    tables: [tableFromRecords(rows)],
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
    for (const table of ["steps", "layers", "evals"]) {
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
    text:
      "Every run's manifest and Arrow tables (steps, per-layer diagnostics, evaluations), relative to this " +
      "report; read them with apache-arrow, pyarrow or polars.",
    links,
  };
}
