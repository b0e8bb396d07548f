/** Rewriting a built graph: the same computation with some of its values replaced by others. */
import type { Tensor } from "./tensor.ts";

/**
 * `outputs` recomputed with each key of `replace` swapped for its value (a tensor of the same graph, usually a
 * new input): every node downstream of a replaced value is applied again to the new inputs; the rest are
 * shared with the original graph, which is left as it was.
 */
export function replaceValues(
  outputs: Record<string, Tensor>,
  replace: ReadonlyMap<Tensor, Tensor>,
): Record<string, Tensor> {
  const reachable = new Map<number, Tensor>();
  const stack = Object.values(outputs);
  while (stack.length) {
    const t = stack.pop()!;
    if (reachable.has(t.id) || replace.has(t)) continue;
    reachable.set(t.id, t);
    stack.push(...t.inputs);
  }
  const rewritten = new Map<Tensor, Tensor>(replace);
  // Ids are creation order, which is topological: each node's inputs are rewritten before it.
  for (const t of [...reachable.values()].sort((a, b) => a.id - b.id)) {
    const inputs = t.inputs.map((i) => rewritten.get(i) ?? i);
    if (inputs.some((x, k) => x !== t.inputs[k])) rewritten.set(t, t.graph.apply(t.op, inputs, t.attrs));
  }
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, rewritten.get(t) ?? t]));
}
