/** src/suite: suites as deterministic job lists, sharding, and the regression check. */
export type { JobSpec, Suite, SuiteJob } from "./types.ts";
export { expandSuites, fullConfig, jobLines, parseShard, type Shard, shardJobs } from "./jobs.ts";
export { baselinePath, type Baseline, CHECK_STEPS, CHECK_WORKLOADS, checkRunIds, compareBaselines, type Difference, formatDifference, runCheck } from "./check.ts";
