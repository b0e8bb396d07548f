/**
 * Batching across layers: same-shaped tensors are stacked along a new leading axis so that one batched
 * op (a batched MatMul in Newton-Schulz or power iteration) serves them all, which cuts the number of
 * ONNX nodes a step runs from one chain per layer to one chain per distinct shape.
 */
import { concat, reshape, slice, type Tensor } from "../graph/mod.ts";

/**
 * Applies `f` to the tensors of `xs` stacked by shape: `f` receives [b, ...shape] and must return
 * [b, ...outShape]; the result holds each tensor's own [...outShape] slice, in the order of `xs`. In a graph
 * built without batching (`Graph.batching` false) every tensor is a stack of its own.
 */
export function mapStacked(xs: readonly Tensor[], f: (stack: Tensor) => Tensor): Tensor[] {
  const groups = new Map<string, number[]>();
  xs.forEach((x, i) => {
    const key = x.graph.batching ? `${x.dtype}:${x.shape.join("x")}` : String(i);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const out: Tensor[] = new Array(xs.length);
  for (const members of groups.values()) {
    const parts = members.map((i) => reshape(xs[i], [1, ...xs[i].shape]));
    const result = f(parts.length === 1 ? parts[0] : concat(parts, 0));
    const itemShape = result.shape.slice(1);
    members.forEach((i, k) => {
      const row = members.length === 1 ? result : slice(result, [k], [k + 1], [0]);
      out[i] = reshape(row, itemShape);
    });
  }
  return out;
}
