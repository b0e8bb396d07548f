/**
 * Reusable Vega-Lite spec builders for reports: training curves, LR-basin plots, bar charts with paper
 * reference marks, and a records-to-table helper. Every spec embeds its data as values and refers to no
 * external URL (the `$schema` URL is an identifier that no renderer fetches).
 */
import type { TopLevelSpec } from "vega-lite";

/** The Vega-Lite v6 schema identifier put in every spec. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Size and labels shared by the chart builders. */
export interface ChartOptions {
  title: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  /** Optimizer names in the order their colours are assigned; pass the same list to every chart of a report. */
  colorDomain?: string[];
}

/** One point of a training curve. */
export interface CurvePoint {
  optimizer: string;
  step: number;
  value: number;
  seed?: number;
}

/** One run of an LR sweep (diverged runs keep their LR; their loss is not plotted). */
export interface SweepRun {
  optimizer: string;
  lr: number;
  loss: number;
  diverged: boolean;
  seed?: number;
  /** True for an LR outside the scale's base grid (an LR-extension run). */
  extension?: boolean;
}

/** An open edge of an optimizer's LR basin: the grid's end LR where the basin runs out of the grid. */
export interface OpenEdge {
  optimizer: string;
  lr: number;
  /** The median loss at that LR (where the triangle is drawn). */
  loss: number;
  side: "low" | "high";
}

/** One optimizer's steps to a target: the per-seed steps (null: not reached) and the median's interval. */
export interface TargetSteps {
  optimizer: string;
  seeds: { seed: number; step: number | null }[];
  median: number;
  ci: [number, number] | null;
}

/** One bar; `reference` (e.g. the paper's value) is drawn as a black tick across the bar. */
export interface BarRow {
  category: string;
  value: number;
  group?: string;
  reference?: number;
}

/** A plain table: column names and rows of cells. */
export interface ReportTable {
  caption?: string;
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

function colorScale(names: string[], domain: string[] | undefined) {
  return { domain: domain ?? [...new Set(names)].sort() };
}

/**
 * Training curves: one line per (optimizer, seed), one colour per optimizer. Non-finite values (a run
 * that diverged) are left out, so a curve stops where its run blew up.
 */
export function trainingCurvesSpec(
  points: CurvePoint[],
  opts: ChartOptions & { logY?: boolean },
): TopLevelSpec {
  const values = points
    .filter((p) => Number.isFinite(p.value) && Number.isFinite(p.step))
    .map((p) => ({ optimizer: p.optimizer, step: p.step, value: p.value, seed: p.seed ?? 0 }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: opts.title,
    width: opts.width ?? 520,
    height: opts.height ?? 300,
    data: { values },
    mark: { type: "line", strokeWidth: 1.5, opacity: 0.9 },
    encoding: {
      x: { field: "step", type: "quantitative", title: opts.xTitle ?? "step" },
      y: {
        field: "value",
        type: "quantitative",
        title: opts.yTitle ?? "loss",
        scale: opts.logY ? { type: "log" } : { zero: false },
      },
      color: {
        field: "optimizer",
        type: "nominal",
        title: "optimizer",
        scale: colorScale(values.map((v) => v.optimizer), opts.colorDomain),
      },
      detail: { field: "seed", type: "nominal" },
      tooltip: [
        { field: "optimizer", type: "nominal" },
        { field: "seed", type: "nominal" },
        { field: "step", type: "quantitative" },
        { field: "value", type: "quantitative", format: ".4f" },
      ],
    },
  };
}

/**
 * LR-basin plot (Crawshaw et al. Fig. 1 style): final loss against LR on a log axis, per optimizer a
 * median line over seeds (the basin's own combination) with points and a min-max band over seeds, both
 * from converged runs only. Diverged runs are drawn as crosses pinned to the top edge of the plot at their
 * LR; runs outside the base grid (`extension`) are ringed; `openEdges` are drawn as triangles pointing
 * out of the grid at the median loss there. The x-axis ticks sit at the swept LRs.
 */
export function lrBasinSpec(runs: SweepRun[], opts: ChartOptions & { openEdges?: OpenEdge[] }): TopLevelSpec {
  for (const r of runs) {
    if (!(r.lr > 0)) throw new Error(`lrBasinSpec: learning rates must be > 0 for a log axis, got ${r.lr}`);
  }
  const values = runs.map((r) => {
    const diverged = r.diverged || !Number.isFinite(r.loss);
    return {
      optimizer: r.optimizer,
      lr: r.lr,
      loss: diverged ? null : r.loss,
      diverged,
      seed: r.seed ?? 0,
      extension: r.extension ?? false,
    };
  });
  const edges = (opts.openEdges ?? []).map((e) => ({
    ...e,
    shape: e.side === "low" ? "triangle-left" : "triangle-right",
  }));
  const x = {
    field: "lr",
    type: "quantitative" as const,
    title: opts.xTitle ?? "learning rate",
    scale: { type: "log" as const },
    axis: {
      format: ".0e",
      values: [...new Set(values.map((v) => v.lr))].sort((a, b) => a - b),
      labelOverlap: "greedy" as const,
    },
  };
  const color = {
    field: "optimizer",
    type: "nominal" as const,
    title: "optimizer",
    scale: colorScale(values.map((v) => v.optimizer), opts.colorDomain),
    legend: { symbolOpacity: 1 },
  };
  const converged = { filter: "!datum.diverged" };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: opts.title,
      subtitle:
        "line: median over seeds; band: min–max over seeds; ×: diverged run; ring: LR outside the base " +
        "grid; triangle: basin open at the grid's end",
    },
    width: opts.width ?? 520,
    height: opts.height ?? 300,
    data: { values },
    layer: [
      {
        transform: [converged],
        mark: { type: "area", opacity: 0.18 },
        encoding: {
          x,
          y: {
            aggregate: "min",
            field: "loss",
            type: "quantitative",
            title: opts.yTitle ?? "final validation loss",
          },
          y2: { aggregate: "max", field: "loss" },
          color,
        },
      },
      {
        transform: [converged],
        mark: { type: "line", point: true },
        encoding: {
          x,
          // A log axis keeps a blown-up run (loss 100) from flattening the basins of the others; padding keeps
          // the highest loss clear of the diverged crosses along the top edge.
          y: {
            aggregate: "median",
            field: "loss",
            type: "quantitative",
            scale: { type: "log", padding: 16 },
          },
          color,
          tooltip: [
            { field: "optimizer", type: "nominal" },
            { field: "lr", type: "quantitative", format: ".2e" },
            { aggregate: "median", field: "loss", type: "quantitative", format: ".4f", title: "median loss" },
            { aggregate: "count", type: "quantitative", title: "converged seeds" },
          ],
        },
      },
      {
        transform: [{ filter: "datum.diverged" }],
        mark: { type: "point", shape: "cross", filled: true, size: 90, opacity: 0.9 },
        encoding: {
          x,
          y: { value: 6 },
          color,
          tooltip: [
            { field: "optimizer", type: "nominal" },
            { field: "lr", type: "quantitative", format: ".2e" },
            { field: "seed", type: "nominal" },
            { field: "diverged", type: "nominal" },
          ],
        },
      },
      {
        transform: [{ filter: "datum.extension && !datum.diverged" }],
        mark: { type: "point", shape: "circle", filled: false, size: 160, strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: "loss", type: "quantitative" },
          color,
          tooltip: [
            { field: "optimizer", type: "nominal" },
            { field: "lr", type: "quantitative", format: ".2e" },
            { field: "seed", type: "nominal" },
            { field: "extension", type: "nominal", title: "outside the base grid" },
          ],
        },
      },
      ...(edges.length
        ? [{
          data: { values: edges },
          mark: { type: "point" as const, filled: true, size: 150, opacity: 0.9 },
          encoding: {
            x,
            y: { field: "loss", type: "quantitative" as const },
            color,
            shape: { field: "shape", type: "nominal" as const, scale: null, legend: null },
            tooltip: [
              { field: "optimizer", type: "nominal" as const },
              { field: "side", type: "nominal" as const, title: "open edge" },
              { field: "lr", type: "quantitative" as const, format: ".2e" },
            ],
          },
        }]
        : []),
    ],
  };
}

/**
 * Steps to a target loss per optimizer: one diamond per seed that reached it, the median as a dot and its
 * interval as a bar; not-reached seeds and infinite medians or interval ends are drawn at the right edge
 * (`maxStep`, the horizon) as crosses and open ends, so "not reached" never reads as a number.
 */
export function stepsToTargetSpec(
  rows: TargetSteps[],
  opts: ChartOptions & { maxStep: number },
): TopLevelSpec {
  const cap = (x: number) => (Number.isFinite(x) ? x : opts.maxStep);
  const seeds = rows.flatMap((r) =>
    r.seeds.map((s) => ({
      optimizer: r.optimizer,
      seed: s.seed,
      step: s.step ?? opts.maxStep,
      reached: s.step !== null,
    }))
  );
  const summary = rows.map((r) => ({
    optimizer: r.optimizer,
    median: cap(r.median),
    lo: r.ci ? cap(r.ci[0]) : cap(r.median),
    hi: r.ci ? cap(r.ci[1]) : cap(r.median),
    medianText: Number.isFinite(r.median) ? String(r.median) : "not reached",
    reached: Number.isFinite(r.median),
  }));
  const y = { field: "optimizer", type: "nominal" as const, title: null, sort: null };
  const x = {
    type: "quantitative" as const,
    title: opts.xTitle ?? "steps to target",
    scale: { domain: [0, opts.maxStep] },
  };
  const color = {
    field: "optimizer",
    type: "nominal" as const,
    scale: colorScale(rows.map((r) => r.optimizer), opts.colorDomain),
    legend: null,
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: opts.title,
      subtitle:
        "dot: median over seeds; bar: 95% bootstrap interval; diamond: a seed; ×: a seed that did not reach it by the end",
    },
    width: opts.width ?? 520,
    height: opts.height ?? Math.max(120, 30 * rows.length),
    layer: [
      {
        data: { values: summary },
        mark: { type: "rule", strokeWidth: 3, opacity: 0.5 },
        encoding: { y, x: { ...x, field: "lo" }, x2: { field: "hi" }, color },
      },
      {
        data: { values: summary },
        mark: { type: "point", filled: true, size: 90 },
        encoding: {
          y,
          x: { ...x, field: "median" },
          color,
          tooltip: [{ field: "optimizer", type: "nominal" }, {
            field: "medianText",
            type: "nominal",
            title: "median steps",
          }],
        },
      },
      {
        data: { values: seeds },
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          y,
          x: { ...x, field: "step" },
          color,
          shape: {
            field: "reached",
            type: "nominal",
            scale: { domain: [true, false], range: ["diamond", "cross"] },
            legend: null,
          },
          tooltip: [
            { field: "optimizer", type: "nominal" },
            { field: "seed", type: "nominal" },
            { field: "step", type: "quantitative" },
            { field: "reached", type: "nominal" },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}

/**
 * Bar chart of one value per category (categories keep their input order), coloured by `group` when
 * given, with each row's `reference` drawn as a black tick so our bars sit beside the paper's values.
 */
export function barSpec(rows: BarRow[], opts: ChartOptions & { logY?: boolean }): TopLevelSpec {
  const values = rows.map((r) => ({
    category: r.category,
    value: Number.isFinite(r.value) ? r.value : null,
    group: r.group ?? "",
    reference: r.reference ?? null,
  }));
  const x = {
    field: "category",
    type: "nominal" as const,
    sort: null,
    title: opts.xTitle ?? "",
    axis: { labelAngle: -40 },
  };
  const yScale = opts.logY ? { type: "log" as const } : {};
  const hasGroups = rows.some((r) => r.group !== undefined);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: opts.title,
    width: opts.width ?? Math.max(240, 36 * rows.length),
    height: opts.height ?? 260,
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x,
          // No stacking: one bar per category, and on a log scale bars then start at the domain minimum.
          y: {
            field: "value",
            type: "quantitative",
            title: opts.yTitle ?? "value",
            scale: yScale,
            stack: null,
          },
          ...(hasGroups
            ? {
              color: {
                field: "group",
                type: "nominal",
                title: "",
                scale: colorScale(values.map((v) => v.group), opts.colorDomain),
              },
            }
            : {}),
          tooltip: [
            { field: "category", type: "nominal" },
            { field: "value", type: "quantitative", format: ".4g" },
            { field: "reference", type: "quantitative", format: ".4g", title: "paper" },
          ],
        },
      },
      {
        transform: [{ filter: "isValid(datum.reference)" }],
        mark: { type: "tick", color: "black", thickness: 2 },
        encoding: { x, y: { field: "reference", type: "quantitative", scale: yScale } },
      },
    ],
  };
}

/**
 * Turns records into a table. Columns default to the keys of the records in first-seen order; a
 * missing key gives an empty cell, and values that are not strings, numbers or booleans are shown as JSON.
 */
export function tableFromRecords(
  records: Record<string, unknown>[],
  columns?: string[],
  caption?: string,
): ReportTable {
  const cols = columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string | number | boolean | null =>
    v === undefined || v === null
      ? null
      : typeof v === "string" || typeof v === "number" || typeof v === "boolean"
      ? v
      : JSON.stringify(v);
  return { caption, columns: cols, rows: records.map((r) => cols.map((c) => cell(r[c]))) };
}
