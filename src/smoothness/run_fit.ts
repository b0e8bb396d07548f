/**
 * Fitting (L0, L1) per layer of a run directory: reads the smoothness estimates of its `layers` table
 * (rows where l_hat and grad_dual_next were measured), fits each layer with the convention of the geometry
 * the run measured in, and predicts its stepsize. `deno task smoothness`, `deno task reproduce` (the fit
 * file Gluon's radii come from) and the reports all fit runs through here, so they agree to the bit.
 */
import { readColumns, readManifest } from "../trace/mod.ts";
import type { LayerGroup } from "./authors_log.ts";
import { fitL0L1 } from "./fit.ts";
import { GEOMETRIES, type Geometry } from "../contracts/job_config.ts";
import { median, predictedStep } from "./predict.ts";

/** One layer's smoothness estimates, ready to fit. */
export interface LayerSeries {
  /** Position of the layer among the input's layers (the authors' parameter index for their logs). */
  param: number;
  layer: string;
  /** The parameter role of src/models (hidden, conv, tied_embedding...), or null where the input has none. */
  role: string | null;
  group: LayerGroup | null;
  step: number[];
  lHat: number[];
  gradDual: number[];
  /** The stepsize the run used for the layer (median radius), or null where the input has none. */
  recordedStep: number | null;
}

/** The stepsize group of each parameter role of src/models (see LAYER_GROUPS). */
export const ROLE_GROUPS: Readonly<Record<string, LayerGroup>> = {
  hidden: "hidden",
  conv: "hidden",
  bias: "hidden",
  gain: "hidden",
  embedding: "embed",
  position: "embed",
  tied_embedding: "embed",
  head: "head",
};

/** How a layer is fitted: the hinge weight λ and whether its first estimate is dropped. */
export interface FitConvention {
  lambda: number;
  dropFirst: boolean;
}

/**
 * The Gluon authors' fitting convention for estimates measured in a geometry: λ = 5 with Scion's norms;
 * λ = 0 and the first estimate dropped with Euclidean norms (their output_l2 notebook).
 */
export function fitConvention(geometry: Geometry): FitConvention {
  return geometry === "euclidean" ? { lambda: 0, dropFirst: true } : { lambda: 5, dropFirst: false };
}

/** One layer's fit (the JSON object `deno task smoothness --json` prints, and a Gluon fit-file entry). */
export interface LayerFit {
  param: number;
  layer: string;
  L0: number;
  L1: number;
  mse_rel: number;
  above: number;
  predicted_step: number;
  used_step: number | null;
}

/**
 * Fits one layer (after dropping its first estimate when the convention says so) and predicts its
 * stepsize. The used step is `used[group]` when given, else the step the run recorded.
 */
export function fitLayer(
  layer: LayerSeries,
  convention: FitConvention,
  used: Partial<Record<LayerGroup, number>> = {},
): LayerFit {
  const fitted = convention.dropFirst ? withoutFirstEstimate(layer) : layer;
  let fit;
  try {
    fit = fitL0L1(fitted.gradDual, fitted.lHat, { lambda: convention.lambda });
  } catch (error) {
    throw new Error(`${layer.layer} (param ${layer.param}): ${(error as Error).message}`);
  }
  return {
    param: layer.param,
    layer: layer.layer,
    L0: fit.L0,
    L1: fit.L1,
    mse_rel: fit.mseRel,
    above: fit.above,
    predicted_step: predictedStep(fit, fitted.gradDual).step,
    used_step: (layer.group === null ? undefined : used[layer.group]) ?? layer.recordedStep,
  };
}

/** A layer without its first estimate. */
export function withoutFirstEstimate(layer: LayerSeries): LayerSeries {
  return {
    ...layer,
    step: layer.step.slice(1),
    lHat: layer.lHat.slice(1),
    gradDual: layer.gradDual.slice(1),
  };
}

/**
 * A run directory's layers with smoothness estimates, in order of first appearance; the recorded step of
 * a layer is the median of its `radius` column over all its rows. Throws when no row holds an estimate.
 */
export async function readRunLayers(dir: string): Promise<LayerSeries[]> {
  const columns = await readColumns(dir, "layers");
  const needed = ["step", "layer", "role", "radius", "l_hat", "grad_dual_next"];
  const missing = needed.filter((name) => !(name in columns));
  if (missing.length) throw new Error(`${dir}: the layers table lacks column(s) ${missing.join(", ")}`);
  const { step, layer, role, radius, l_hat, grad_dual_next } = columns;
  const found = new Map<string, LayerSeries>();
  const radii = new Map<string, number[]>();
  for (let row = 0; row < step.length; row++) {
    const name = String(layer[row]);
    radii.set(name, [...radii.get(name) ?? [], Number(radius[row])]);
    if (l_hat[row] === null || grad_dual_next[row] === null) continue;
    const series = found.get(name) ?? {
      param: found.size,
      layer: name,
      role: String(role[row]),
      group: ROLE_GROUPS[String(role[row])] ?? null,
      step: [],
      lHat: [],
      gradDual: [],
      recordedStep: null,
    };
    found.set(name, series);
    series.step.push(Number(step[row]));
    series.lHat.push(Number(l_hat[row]));
    series.gradDual.push(Number(grad_dual_next[row]));
  }
  if (found.size === 0) {
    throw new Error(
      `${dir}: no smoothness estimates (l_hat is null on every row); run with the smoothness check on`,
    );
  }
  return [...found.values()].map((series) => ({ ...series, recordedStep: median(radii.get(series.layer)!) }));
}

/** A run's per-layer fits and what they were fitted from. */
export interface RunFit {
  dir: string;
  /** The geometry the run measured in (its config's smoothnessNorms). */
  geometry: Geometry;
  convention: FitConvention;
  /** The estimates of each layer, as read (before any dropped first estimate). */
  layers: LayerSeries[];
  /** One fit per layer, in the same order. */
  fits: LayerFit[];
}

/**
 * Fits every layer of a run directory with the convention of the geometry its manifest records (or the
 * given one): the fit `deno task reproduce` hands to Gluon and the one the report judges.
 */
export async function fitRun(dir: string, convention?: FitConvention): Promise<RunFit> {
  const geometry = ((await readManifest(dir)).config as Record<string, unknown>).smoothnessNorms as Geometry;
  if (!GEOMETRIES.includes(geometry)) {
    throw new Error(
      `${dir}: its manifest's config.smoothnessNorms is ${JSON.stringify(geometry)}, not one of ${
        GEOMETRIES.join(", ")
      }`,
    );
  }
  const used = convention ?? fitConvention(geometry);
  const layers = await readRunLayers(dir);
  return { dir, geometry, convention: used, layers, fits: layers.map((l) => fitLayer(l, used)) };
}

/** Writes fits as a Gluon fit file (a JSON array of {param, layer, L0, L1, ...}; see src/optim/gluon.ts). */
export async function writeFitFile(path: string, fits: readonly LayerFit[]): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(fits, null, 1) + "\n");
}
