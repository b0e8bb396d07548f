/** src/train: the fused step graph, the training loop, checkpoints and one-call jobs. */
export { batchInput, buildEvalGraph, buildGradGraph, buildStepGraph, DIAGNOSTIC_COLUMNS, gradOutput, next, paramInput, type StateSlot, stateInput, type StepGraph } from "./step.ts";
export { advance, type BatchStream, initialFeeds, type Progress, type StepObserver, train, type TrainResult, type TrainSetup } from "./loop.ts";
export { type Checkpoint, checkpointPath, loadCheckpoint, saveCheckpoint, type SavedTensor } from "./checkpoint.ts";
export { DATA_FORMS, loadData, type LoadedData } from "./data_source.ts";
export { defaultRunDir, defaultThreads, JOB_DEFAULTS, type JobConfig, type JobOutcome, loadOptimizer, runJob, type RunJobOptions } from "./job.ts";
