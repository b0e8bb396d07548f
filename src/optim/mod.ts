/**
 * src/optim: LMO-based optimizers as one composable machinery that emits its update into the step graph
 * (DESIGN.md decision 3): norms with LMO, dual and primal (norms.ts, polar.ts, power.ts), momentum
 * (momentum.ts), product norms (aggregate.ts), step rules (schedule.ts, gluon.ts, momo.ts), clipping
 * (clip.ts), routing (route.ts), the composition (compose.ts) and the named presets (presets.ts).
 *
 * ```ts
 * const opt = makeOptimizer("muon-adam", { lr: "3e-3" });
 * console.log(formatRoutingTable(describe(opt, workload.params)));
 * const { params, state, layers } = opt.update(ctx); // inside the step graph
 * ```
 */
export type { LayerDiagnostics, Optimizer, RouteRow, UpdateContext, UpdateResult } from "./types.ts";
export { makeOptimizer, type Preset, preset, presetNames } from "./presets.ts";
export { applyOverrides, type Hyper, optionsHelp, type OptionValue } from "./options.ts";
export { type ComposedConfig, composeOptimizer, type RadiusRule } from "./compose.ts";
export { describe, formatRoutingTable } from "./describe.ts";
export { loadOptimizerModule, type OptimizerModule } from "./plugin.ts";
export { type LayerNorm, layoutOf, makeNorm, NORM_NAMES, type NormName, NORMS } from "./norms.ts";
export { parseRouteRules, resolveRoutes, ROLES, type RoleTable, type RouteRule } from "./route.ts";
export { SCHEDULE_NAMES, scheduleFactor, type ScheduleName, type ScheduleOptions } from "./schedule.ts";
export { parseSmoothnessFit, readSmoothnessFit, type Smoothness } from "./gluon.ts";
export { buildUpdateGraph, UPDATE_NAMES, type UpdateGraph } from "./update_graph.ts";
