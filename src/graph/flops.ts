/** Floating-point operation counts of a graph's matrix products and convolutions (what bounds a step's speed). */
import { sizeOf } from "./shape.ts";
import type { Tensor } from "./tensor.ts";

/** FLOPs (multiply and add counted separately) of one node: MatMul, Conv and ConvTranspose; 0 for the rest. */
export function nodeFlops(t: Tensor): number {
  switch (t.op) {
    case "MatMul": {
      const k = t.inputs[0].shape[t.inputs[0].rank - 1];
      return 2 * sizeOf(t.shape) * k;
    }
    case "Conv": {
      const w = t.inputs[1];
      return 2 * sizeOf(t.shape) * w.shape[1] * w.shape[2] * w.shape[3];
    }
    case "ConvTranspose": {
      const w = t.inputs[1];
      return 2 * sizeOf(t.inputs[0].shape) * w.shape[1] * w.shape[2] * w.shape[3];
    }
    default:
      return 0;
  }
}

/** Total matrix-product and convolution FLOPs of everything the outputs depend on. */
export function countFlops(outputs: readonly Tensor[]): number {
  const seen = new Set<number>();
  const stack = [...outputs];
  let total = 0;
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    total += nodeFlops(t);
    stack.push(...t.inputs);
  }
  return total;
}
