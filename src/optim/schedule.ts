/**
 * Learning-rate schedules, evaluated on the host once per step (the lr is fed to the step graph as a
 * scalar). Fractions are of the run's total steps T, so a schedule means the same at every scale.
 *
 * - `constant`: 1.
 * - `warmup`: k / W for k < W = floor(warmup T), then 1 (linear warmup from 0, as HF transformers).
 * - `cosine`: the same warmup, then floor + (1 - floor) (1 + cos(pi (k - W) / (T - W))) / 2
 *   (HF get_cosine_schedule_with_warmup when floor = 0; GPT-opt's `warm-up-cosine`).
 * - `constant-linear`: 1 for k < n0 = floor(decay_start T), then max(floor, 1 - (k - n0) / (T - n0)): the
 *   GPT-opt schedule (decay_start 0.4, floor 0.1; research/papers.md §C.3; utils.py get_scheduler). The
 *   line aims at 0 and is clipped at the floor, so it reaches 0.1 at 90% of the decay phase. With floor 0
 *   it is modded-nanogpt's warmdown (decay_start = 1 - warmdown / T).
 * - `gluon`: (k + 1)^(-3/4), the stepsize decay of Gluon's Theorem 2 (its momentum schedule
 *   b_k = 1 - (k+1)^(-1/2) depends on the step inside the graph: see momentum.ts).
 */

/** Names of the schedules. */
export type ScheduleName = "constant" | "warmup" | "cosine" | "constant-linear" | "gluon";

/** Every {@link ScheduleName}. */
export const SCHEDULE_NAMES: readonly ScheduleName[] = [
  "constant",
  "warmup",
  "cosine",
  "constant-linear",
  "gluon",
];

/** A schedule and its shape parameters (fractions in [0, 1]). */
export interface ScheduleOptions {
  name: ScheduleName;
  /** Warmup length as a fraction of the run (`warmup`, `cosine`). */
  warmup: number;
  /** Where the linear decay starts, as a fraction of the run (`constant-linear`). */
  decayStart: number;
  /** Lowest multiplier reached (`constant-linear`, `cosine`). */
  floor: number;
}

/** The multiplier of the base lr at 0-based step `step` of a run of `total` steps. */
export function scheduleFactor(options: ScheduleOptions, step: number, total: number): number {
  if (!Number.isInteger(total) || total < 1) {
    throw new Error(`schedule: total steps must be a positive integer, got ${total}`);
  }
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`schedule: step must be a non-negative integer, got ${step}`);
  }
  const { name, floor } = options;
  const warm = Math.floor(options.warmup * total);
  switch (name) {
    case "constant":
      return 1;
    case "warmup":
      return step < warm ? step / warm : 1;
    case "cosine": {
      if (step < warm) return step / warm;
      const progress = Math.min(1, (step - warm) / Math.max(1, total - warm));
      return floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
    case "constant-linear": {
      const start = Math.floor(options.decayStart * total);
      if (step < start) return 1;
      return Math.max(floor, 1 - (step - start) / Math.max(1, total - start));
    }
    case "gluon":
      return (step + 1) ** -0.75;
  }
}
