/** The contract between the training loop and what watches it (the smoothness estimator, tools). */

/** Sees the parameters and raw gradients of selected steps (the smoothness estimator is one). */
export interface StepObserver {
  /** Whether step `step` needs parameters and gradients. */
  wants(step: number): boolean;
  /** Called with the parameters the step started from and their raw mini-batch gradients. */
  observe(step: number, params: Record<string, Float32Array>, grads: Record<string, Float32Array>): void;
  /** Rows for the layers table at this step, merged into the diagnostics rows by layer name. */
  layerColumns?(step: number): Record<string, Record<string, number | null>> | undefined;
}
