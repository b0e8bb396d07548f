/**
 * src/models: workloads (NanoGPT and CNN graph builders that name each parameter's role) and their presets.
 *
 * ```ts
 * const workload = makeWorkload("nanogpt-tiny", { vocab: 80 });
 * const g = new Graph();
 * const params = Object.fromEntries(workload.params.map((p) => [p.name, g.input(p.name, p.shape)]));
 * const batch = Object.fromEntries(workload.batch.map((b) => [b.name, g.input(b.name, b.shape, b.dtype)]));
 * const { loss } = workload.buildLoss(g, params, batch);
 * ```
 */
export type { ParamSpec, Role } from "../contracts/params.ts";
export type { BatchSpec, LossGraph, Workload } from "./types.ts";
export {
  GPT_FLAVOURS,
  type GptConfig,
  type GptFlavour,
  type GptOptions,
  gptParams,
  nanoGpt,
  resolveGptConfig,
} from "./nanogpt.ts";
export {
  cifarNet,
  type CnnConfig,
  type CnnOptions,
  cnnParams,
  resolveCnnConfig,
  whiteningKernel,
} from "./cnn.ts";
export { makeWorkload, workloadNames } from "./presets.ts";
export * from "./init.ts";
