/**
 * Vega-Lite v6 specs of the smoothness check in the style of the Gluon paper's figures: per layer, L̂
 * (green) and the fitted L0 + L1 ||g||_* (blue) against the step, titled with the layer and MSE_rel.
 * Pure data -> spec; rendering belongs to src/report.
 */

import type { TopLevelSpec } from "vega-lite";

/** One layer's estimates and fit, as a chart needs them. */
export interface ChartLayer {
  /** Layer name shown in the title. */
  name: string;
  /** Step of each estimate. */
  step: ArrayLike<number>;
  /** L̂ per estimate. */
  lHat: ArrayLike<number>;
  /** ||g||_* per estimate (the fit's x). */
  gradDual: ArrayLike<number>;
  /** The fitted line and its MSE_rel. */
  fit: { L0: number; L1: number; mseRel: number };
}

/** Options of the chart specs. */
export interface ChartOptions {
  /** x-axis title: the unit of `step` (default "iteration k"). */
  stepTitle?: string;
  /** Panels per row of the faceted spec (default 3). */
  columns?: number;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const MEASURED = "L̂";
const FITTED = "L0 + L1·‖g‖*";

/** A spec with one chart of one layer. */
export function layerChartSpec(layer: ChartLayer, options: ChartOptions = {}): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: layer.name, subtitle: fitSubtitle(layer) },
    data: { values: chartRows([layer]) },
    width: 360,
    height: 240,
    ...seriesLayers(options.stepTitle),
  };
}

/** One faceted spec with a panel per layer (independent scales), in the order given. */
export function layersChartSpec(layers: readonly ChartLayer[], options: ChartOptions = {}): TopLevelSpec {
  return {
    $schema: SCHEMA,
    data: { values: chartRows(layers) },
    facet: {
      field: "panel",
      type: "nominal",
      title: null,
      sort: { field: "order", op: "min" },
      header: { labelFontSize: 12, labelExpr: "split(datum.label, '\\n')" },
    },
    columns: options.columns ?? 3,
    resolve: { scale: { x: "independent", y: "independent" } },
    spec: { width: 280, height: 180, ...seriesLayers(options.stepTitle) },
  };
}

/** "L0 = …, L1 = … | MSE_rel: …", as in the paper's legends and titles. */
function fitSubtitle(layer: ChartLayer): string {
  const { L0, L1, mseRel } = layer.fit;
  return `L0 = ${L0.toFixed(2)}, L1 = ${L1.toFixed(2)} | MSE_rel: ${mseRel.toFixed(4)}`;
}

/** Long-format rows: one per layer, step and series; `panel` is the two-line facet header. */
function chartRows(layers: readonly ChartLayer[]): Record<string, string | number>[] {
  return layers.flatMap((layer, order) => {
    const panel = `${layer.name}\n${fitSubtitle(layer)}`;
    return Array.from({ length: layer.step.length }, (_, k) => [
      { panel, order, step: layer.step[k], series: MEASURED, value: layer.lHat[k] },
      {
        panel,
        order,
        step: layer.step[k],
        series: FITTED,
        value: layer.fit.L0 + layer.fit.L1 * layer.gradDual[k],
      },
    ]).flat();
  });
}

/** The two coloured line-and-point series, shared by both spec shapes. */
function seriesLayers(stepTitle = "iteration k") {
  return {
    mark: { type: "line" as const, point: true },
    encoding: {
      x: { field: "step", type: "quantitative" as const, title: stepTitle },
      y: { field: "value", type: "quantitative" as const, title: "L̂ (smoothness estimate)" },
      color: {
        field: "series",
        type: "nominal" as const,
        title: null,
        scale: { domain: [MEASURED, FITTED], range: ["green", "blue"] },
      },
    },
  };
}
