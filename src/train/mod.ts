/** src/train: the fused step graph, the training loop, checkpoints and one-call jobs. */
export { batchInput, buildEvalGraph, buildGradGraph, buildStepGraph, DIAGNOSTIC_COLUMNS, gradOutput, next, paramInput, type StateSlot, stateInput, type StepGraph } from "./step.ts";
export type { StepObserver } from "../contracts/observer.ts";
export { advance, type BatchStream, initialFeeds, type Progress, train, type TrainResult, type TrainSetup } from "./loop.ts";
export { type Checkpoint, checkpointPath, loadCheckpoint, saveCheckpoint, type SavedTensor } from "./checkpoint.ts";
export { DATA_FORMS, loadData, type LoadedData } from "./data_source.ts";
export type { JobConfig } from "../contracts/job_config.ts";
export { defaultRunDir, defaultThreads, JOB_DEFAULTS, type JobOutcome, loadOptimizer, runJob, type RunJobOptions } from "./job.ts";
export { type StepOutput, UpdateStepper } from "./update_stepper.ts";
