/**
 * Gluon's layer-wise (L0, L1)-smoothness check: live measurement along a run (layer norms, the step
 * observer), the exact hinge-penalised fit, fits of run directories, predicted stepsizes, chart specs, and
 * the importer of the authors' logs.
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
export { GEOMETRIES, type Geometry } from "../contracts/job_config.ts";
export { type LayerNorms, layerNorms } from "./norms.ts";
export { measurePair, type PairMeasurement, SmoothnessObserver } from "./estimator.ts";
export * from "./run_fit.ts";
export * from "./linalg.ts";
