/**
 * The contract between whoever asks for a run (suites, the CLI) and whoever reads run directories (reports,
 * smoothness fits): the plain job config, hashed into the run's name. The trainer (src/train/job.ts) owns
 * its defaults and validation.
 */
import type { BackendName } from "../runtime/backend.ts";

/** The geometry a run measures trajectory smoothness in. */
export type Geometry = "scion" | "euclidean";

/** The geometries, for validation and help texts. */
export const GEOMETRIES: readonly Geometry[] = ["scion", "euclidean"];

/** Everything that defines a run; its canonical hash names the run. */
export interface JobConfig {
  /** The suite that asked for this run ("" for a run started by hand); reports group runs by it. */
  suite: string;
  /** Labels the suite gives the run (variant, lr index...); reports read them. */
  tags: Record<string, string | number>;
  workload: string;
  /** Workload overrides (`--model.KEY VALUE`), e.g. { batch: 8 }. */
  model: Record<string, string | number | boolean>;
  /** A preset name or a path to an optimizer module. */
  optimizer: string;
  /** Optimizer overrides (`--opt.KEY VALUE`). */
  opt: Record<string, string | number | boolean>;
  steps: number;
  /**
   * Micro-batches per optimizer step (gradient accumulation): each step averages the loss and gradients of
   * `accum` batches of `model.batch`. Absent means 1, so configs without accumulation keep their hashes.
   */
  accum?: number;
  /**
   * Run each step as the split step (src/train/split_step.ts: gradients, then the update one parameter group
   * at a time) instead of the fused step graph: the same math in less memory, for models whose fused step
   * does not fit. Absent means fused, so existing configs keep their hashes.
   */
  splitStep?: boolean;
  /** The master seed: initialisation, and the data order unless `dataSeed` is given. */
  seed: number;
  /**
   * The seed of the training data order, when it varies apart from `seed` (absent: the data order
   * derives from `seed`, as it always did, so existing configs keep their hashes and trajectories).
   */
  dataSeed?: number;
  backend: BackendName;
  threads: number;
  /** See DATA_FORMS in src/train/data_source.ts. */
  data: string;
  tokenizer: "char" | "gpt2";
  evalEvery: number;
  evalBatches: number;
  layersEvery: number;
  checkpointEvery: number;
  /** Measure trajectory smoothness on one (k, k+1) pair every this many steps; 0: off. */
  smoothnessEvery: number;
  /** The geometry of that measurement. */
  smoothnessNorms: Geometry;
}
