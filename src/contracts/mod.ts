/** src/contracts: the plain types that rooms share, so that neither side imports the other (docs/design.md). */
export type { ParamSpec, Role } from "./params.ts";
export type { StepObserver } from "./observer.ts";
export { GEOMETRIES, type Geometry, type JobConfig } from "./job_config.ts";
