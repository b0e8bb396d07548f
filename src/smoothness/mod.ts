/**
 * The offline half of Gluon's layer-wise (L0, L1)-smoothness check: the exact hinge-penalised fit,
 * predicted stepsizes, chart specs, and the importer of the authors' logs.
 */

export { fitL0L1, type FitOptions, type L0L1Fit } from "./fit.ts";
export { groupL1Ratio, median, NEGLIGIBLE_L0, type PredictedStep, predictedStep } from "./predict.ts";
export { type ChartLayer, type ChartOptions, layerChartSpec, layersChartSpec } from "./chart.ts";
export {
  AUTHORS_USED_STEPS,
  authorsLayers,
  type AuthorsLog,
  CIFARNET_LAYERS,
  LAYER_GROUPS,
  type LayerGroup,
  type LayerLabel,
  nanogptLayer,
  type ParamSeries,
  parseAuthorsLog,
} from "./authors_log.ts";
