/**
 * The one machinery behind every preset (DESIGN.md decision 3; research/papers.md §A): per parameter a
 * route (norm, radius rho) and a momentum; across layers a product norm and normalised or regularised
 * steps; then a step rule (the scheduled lr, Gluon's (L0, L1) radius or Momo's truncation), weight decay
 * and optional global gradient clipping. Everything is emitted into the step graph.
 *
 * One step, for layer i with base norm N_i (the routed norm) and radius rho_i:
 *   g_i   <- clip(g)_i                               (when `clip` > 0)
 *   d_i   <- momentum(g_i)  or Adam's m_i (norm weighted by m_i, v_i)
 *   u_i   =  lmo_N(d_i),  delta_i = <u_i, d_i> = ||d_i||_N*     (stale: last step's delta_i, step 0 exact)
 *   (D, c_i) = aggregate(rho_i delta_i)              (product norm, LMO or RSD)
 *   r_i   =  tau c_i rho_i,  tau = lr or Momo's min(lr, h / D[^2]);  Gluon: r_i = lr rho_i delta_i / (L0 + L1 delta_i)
 *   X_i   <- (1 - lr wd [rho_i]) X_i - r_i u_i   (decoupled decay with the scheduled lr, not Momo's tau)
 * so that in the route-scaled norm ||.||_N / rho_i this is exactly GPT-opt's NESGD, and r_i is the step
 * length in the base norm N_i (the `radius` diagnostic).
 */
import { div, equal, mul, sub, type Tensor, where } from "../graph/mod.ts";
import type { ParamSpec } from "../contracts/params.ts";
import type { LayerDiagnostics, Optimizer, RouteRow, UpdateContext, UpdateResult } from "./types.ts";
import { aggregate, type ProductNorm, type StepKind } from "./aggregate.ts";
import { clipGlobalNorm, globalNorm } from "./clip.ts";
import { gluonRadius, type Smoothness } from "./gluon.ts";
import {
  type AdamOptions,
  adamStep,
  advanceBiasCorrections,
  isStateless,
  type MomentumOptions,
  momentumStep,
} from "./momentum.ts";
import { momoStepSize } from "./momo.ts";
import { type LayerNorm, layoutOf, makeNorm, type NormName, NORMS } from "./norms.ts";
import { polarFactors, type PolarOptions } from "./polar.ts";
import { spectralNorms } from "./power.ts";
import { resolveRoutes, type RoleTable, type RouteRule } from "./route.ts";
import { scheduleFactor, type ScheduleOptions } from "./schedule.ts";
import { inner, sumAll } from "./tensor_math.ts";

/** How each layer's step length is set. */
export type RadiusRule =
  | { kind: "lr" }
  | { kind: "gluon"; smoothness(spec: ParamSpec): Smoothness }
  | { kind: "momo"; fstar: number; clamp: boolean };

/** Everything that defines a composed optimizer. */
export interface ComposedConfig {
  name: string;
  /** The resolved hyperparameters, recorded as they are in manifests. */
  hyper: Record<string, unknown>;
  /** Base learning rate, multiplied by the schedule on the host. */
  lr: number;
  schedule: ScheduleOptions;
  /** The preset's route per role. */
  table: RoleTable;
  /** User rules, tried before the table. */
  rules: readonly RouteRule[];
  polar: PolarOptions;
  momentum: MomentumOptions;
  adam: AdamOptions;
  product: ProductNorm;
  step: StepKind;
  radius: RadiusRule;
  /** Nuclear norms of spectral layers in the aggregation: this step's, or last step's (GPT-opt `stale_nuc`). */
  nuclear: "exact" | "stale";
  weightDecay: number;
  /** Multiply each route's decay by its radius (per-group lr, as torch param groups do) instead of the global lr only. */
  decayScaled: boolean;
  /** Global gradient clipping norm; 0 turns clipping off. */
  clip: number;
  /**
   * `cheap`: the gradient's dual norm where it is free (a closed form, or the LMO's input is the gradient)
   * and NaN for spectral layers with momentum; `full`: one more Newton-Schulz per such layer.
   */
  gradDual: "cheap" | "full";
  /** Power-iteration steps of the spectral primal norms in the diagnostics. */
  powerIterations: number;
}

/** Checks combinations that have no meaning, with the fix. */
function checkConfig(config: ComposedConfig): void {
  const { radius, product, step, momentum } = config;
  if (radius.kind === "gluon" && (product !== "max" || step !== "lmo")) {
    throw new Error(
      `${config.name}: Gluon's layer-wise radius needs product max and step lmo (got ${product}, ${step})`,
    );
  }
  if (radius.kind === "momo" && typeof momentum.beta !== "number") {
    throw new Error(`${config.name}: Momo's loss model needs a constant beta, not "${momentum.beta}"`);
  }
}

/** One layer while its step is being built. */
interface Layer {
  spec: ParamSpec;
  route: RouteRow;
  x: Tensor;
  rawGrad: Tensor;
  grad: Tensor;
  direction: Tensor;
  norm: LayerNorm;
  /** True when the direction is the (clipped) gradient itself. */
  directionIsGrad: boolean;
}

/** Builds an {@link Optimizer} from a config. */
export function composeOptimizer(config: ComposedConfig): Optimizer {
  checkConfig(config);
  return {
    name: config.name,
    hyper: config.hyper,
    route: (specs) => resolveRoutes(specs, config.table, config.rules),
    update: (ctx) => emitUpdate(config, ctx),
    lrAt: (step, total) => config.lr * scheduleFactor(config.schedule, step, total),
  };
}

function emitUpdate(config: ComposedConfig, ctx: UpdateContext): UpdateResult {
  const routes = resolveRoutes(ctx.specs, config.table, config.rules);
  const state: Record<string, Tensor> = {};
  const scalars: Record<string, Tensor> = {};
  const rawGrads = ctx.specs.map((spec) => {
    const g = ctx.grads[spec.name];
    const x = ctx.params[spec.name];
    if (!g || !x) {
      throw new Error(`${config.name}: no ${g ? "value" : "gradient"} for parameter ${spec.name}`);
    }
    return g;
  });
  const clipped = config.clip > 0 ? clipGlobalNorm(rawGrads, config.clip) : undefined;
  scalars.grad_norm = clipped?.norm ?? globalNorm(rawGrads);
  const grads = clipped?.grads ?? rawGrads;

  const corrections = biasCorrections(config, ctx, routes, state);
  const layers = ctx.specs.map((spec, i) =>
    buildLayer(config, ctx, spec, routes[i], rawGrads[i], grads[i], state, corrections)
  );
  const lmos = layerLmos(config, layers);
  const deltas = layers.map((l, i) => inner(lmos[i], l.direction));
  const aggregatedDeltas = layers.map((l, i) => {
    if (config.nuclear !== "stale" || !l.norm.spectral) return deltas[i];
    const key = `${l.spec.name}/nuclear`;
    state[key] = deltas[i];
    return where(equal(ctx.step, 0), deltas[i], ctx.state(key, []));
  });
  const { global, scalings } = aggregate(
    layers.map((l, i) => ({
      dual: mul(aggregatedDeltas[i], l.route.lrScale),
      spectral: l.norm.spectral !== undefined,
    })),
    config.product,
    config.step,
  );
  scalars.global_dual = global;

  let stepSize: Tensor = ctx.lr;
  const { radius } = config;
  if (radius.kind === "momo") {
    const momo = momoStepSize(
      {
        lr: ctx.lr,
        loss: ctx.loss,
        step: ctx.step,
        lossModel: ctx.state("momo/loss_model", []),
        paramsDotGrads: sumAll(layers.map((l) => inner(l.x, l.grad))),
        paramsDotDirections: sumAll(layers.map((l) => inner(l.x, l.direction))),
        globalDual: global,
      },
      config.step,
      { fstar: radius.fstar, clamp: radius.clamp, beta: config.momentum.beta as number },
    );
    state["momo/loss_model"] = momo.lossModel;
    stepSize = momo.tau;
    scalars.momo_tau = momo.tau;
    scalars.momo_h = momo.h;
  }
  // Scalars shared by layers with the same radius or decay rate are built once (fewer ONNX nodes per step).
  const shared = new Map<string, Tensor>();
  const once = (key: string, make: () => Tensor) => shared.get(key) ?? shared.set(key, make()).get(key)!;
  const radii = layers.map((l, i): Tensor => {
    const rho = l.route.lrScale;
    if (radius.kind === "gluon") {
      return mul(mul(stepSize, gluonRadius(deltas[i], radius.smoothness(l.spec))), rho);
    }
    const c = scalings[i];
    return typeof c === "number"
      ? once(`radius ${c * rho}`, () => mul(stepSize, c * rho))
      : mul(mul(stepSize, c), rho);
  });

  const params: Record<string, Tensor> = {};
  const changes = layers.map((l, i) => {
    const rate = config.weightDecay * (config.decayScaled ? l.route.lrScale : 1);
    const decayed = rate === 0 ? l.x : mul(l.x, once(`decay ${rate}`, () => sub(1, mul(ctx.lr, rate))));
    params[l.spec.name] = sub(decayed, mul(lmos[i], radii[i]));
    return sub(params[l.spec.name], l.x);
  });
  const primals = primalNorms(config, layers, changes);
  const gradDuals = gradientDuals(config, layers, deltas, clipped?.coefficient);
  const diagnostics: Record<string, LayerDiagnostics> = {};
  layers.forEach((l, i) => {
    diagnostics[l.spec.name] = {
      gradDual: gradDuals[i],
      momentumDual: deltas[i],
      updatePrimal: primals[i],
      radius: radii[i],
    };
  });
  return { params, state, layers: diagnostics, scalars };
}

/** This step's Adam bias corrections (one pair of scalar slots for all Adam layers), when any are needed. */
function biasCorrections(
  config: ComposedConfig,
  ctx: UpdateContext,
  routes: readonly RouteRow[],
  state: Record<string, Tensor>,
): { c1: Tensor; c2: Tensor } | undefined {
  if (!config.adam.biasCorrection || !routes.some((r) => NORMS[r.norm as NormName].adam)) {
    return undefined;
  }
  const next = advanceBiasCorrections({
    c1: ctx.state("adam/correction1", []),
    c2: ctx.state("adam/correction2", []),
  }, config.adam);
  state["adam/correction1"] = next.c1;
  state["adam/correction2"] = next.c2;
  return next;
}

/** Momentum (or Adam moments) and the bound norm of one layer; records the layer's next state. */
function buildLayer(
  config: ComposedConfig,
  ctx: UpdateContext,
  spec: ParamSpec,
  route: RouteRow,
  rawGrad: Tensor,
  grad: Tensor,
  state: Record<string, Tensor>,
  corrections: { c1: Tensor; c2: Tensor } | undefined,
): Layer {
  const normName = route.norm as NormName;
  const base = {
    shape: spec.shape,
    layout: layoutOf(spec.role),
    polar: config.polar,
    powerIterations: config.powerIterations,
  };
  const layer = { spec, route, x: ctx.params[spec.name], rawGrad, grad };
  if (NORMS[normName].adam) {
    const mKey = `${spec.name}/adam_m`;
    const vKey = `${spec.name}/adam_v`;
    const adam = adamStep(
      grad,
      ctx.state(mKey, spec.shape),
      ctx.state(vKey, spec.shape),
      ctx.step,
      config.adam,
      corrections,
    );
    state[mKey] = adam.m;
    state[vKey] = adam.v;
    const norm = makeNorm(normName, { ...base, adam: { m: adam.mHat, v: adam.vHat, eps: config.adam.eps } });
    return { ...layer, direction: adam.mHat, norm, directionIsGrad: false };
  }
  const norm = makeNorm(normName, base);
  if (isStateless(config.momentum)) return { ...layer, direction: grad, norm, directionIsGrad: true };
  const key = `${spec.name}/momentum`;
  const momentum = momentumStep(grad, ctx.state(key, spec.shape), ctx.step, config.momentum);
  state[key] = momentum.buffer;
  return { ...layer, direction: momentum.direction, norm, directionIsGrad: false };
}

/** Every layer's LMO of its direction; the polar factors of all spectral layers are batched by shape. */
function layerLmos(config: ComposedConfig, layers: readonly Layer[]): Tensor[] {
  const spectral = layers.filter((l) => l.norm.spectral);
  const factors = polarFactors(spectral.map((l) => l.norm.spectral!.matrix(l.direction)), config.polar);
  return layers.map((l) => {
    const form = l.norm.spectral;
    if (!form) return l.norm.lmo(l.direction);
    return mul(form.unmatrix(factors[spectral.indexOf(l)]), form.factor);
  });
}

/** Primal norms of the parameter changes; spectral ones by batched power iteration. */
function primalNorms(config: ComposedConfig, layers: readonly Layer[], changes: readonly Tensor[]): Tensor[] {
  const spectral = layers.flatMap((l, i) => (l.norm.spectral ? [i] : []));
  const estimates = spectralNorms(
    spectral.map((i) => layers[i].norm.spectral!.matrix(changes[i])),
    config.powerIterations,
  );
  return layers.map((l, i) => {
    const form = l.norm.spectral;
    return form ? mul(estimates[spectral.indexOf(i)], 1 / form.factor) : l.norm.primal(changes[i]);
  });
}

/**
 * Dual norms of the raw gradients: from the LMO already taken where the direction is the (clipped)
 * gradient (undoing the clip, norms being homogeneous), by closed form for non-spectral norms, and for
 * spectral layers with momentum by one more batched polar factor (`full`) or NaN (`cheap`).
 */
function gradientDuals(
  config: ComposedConfig,
  layers: readonly Layer[],
  deltas: readonly Tensor[],
  clipCoefficient: Tensor | undefined,
): Tensor[] {
  const extra = layers.flatMap((l, i) => (l.norm.spectral && !l.directionIsGrad ? [i] : []));
  const factors = config.gradDual === "full"
    ? polarFactors(extra.map((i) => layers[i].norm.spectral!.matrix(layers[i].rawGrad)), config.polar)
    : [];
  return layers.map((l, i): Tensor => {
    // The clip coefficient min(1, c / (norm + 1e-6)) is positive.
    if (l.directionIsGrad) return clipCoefficient ? div(deltas[i], clipCoefficient) : deltas[i];
    const form = l.norm.spectral;
    if (!form) return l.norm.dual(l.rawGrad);
    if (config.gradDual === "cheap") return l.x.graph.scalar(NaN, l.x.dtype);
    const u = mul(form.unmatrix(factors[extra.indexOf(i)]), form.factor);
    return inner(u, l.rawGrad);
  });
}
