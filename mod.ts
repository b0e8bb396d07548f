/**
 * lmo-bench's public API, one namespace per module (see README.md and docs/design.md):
 *
 * ```ts
 * import { graph, runtime, train } from "./mod.ts";
 * const outcome = await train.runJob({ workload: "nanogpt-tiny", optimizer: "muon-adam", steps: 100 });
 * ```
 */
export * as graph from "./src/graph/mod.ts";
export * as runtime from "./src/runtime/mod.ts";
export * as models from "./src/models/mod.ts";
export * as data from "./src/data/mod.ts";
export * as optim from "./src/optim/mod.ts";
export * as train from "./src/train/mod.ts";
export * as trace from "./src/trace/mod.ts";
export * as smoothness from "./src/smoothness/mod.ts";
export * as report from "./src/report/mod.ts";
export * as suite from "./src/suite/mod.ts";
export * as contracts from "./src/contracts/mod.ts";
