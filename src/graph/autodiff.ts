/** Reverse-mode automatic differentiation: emits the gradient graph of a scalar into the same graph. */
import { opDef } from "./registry.ts";
import { fmtShape } from "./shape.ts";
import type { Tensor } from "./tensor.ts";
import { add, expand } from "./ops.ts";

/**
 * Gradients of `y` with respect to each tensor in `wrt`, as new nodes of y's graph.
 * `y` must be a scalar unless `seed` (the gradient of some scalar with respect to y) is given.
 * A tensor in `wrt` that y does not depend on gets a zero gradient.
 */
export function grad(y: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const g = y.graph;
  if (!seed && y.size !== 1) throw new Error(`grad: y must be a scalar, got shape ${fmtShape(y.shape)}; pass a seed gradient`);
  const targets = new Set(wrt.map((t) => t.id));
  const relevant = dependsOn(g.nodes, targets, y.id);
  const grads = new Map<number, Tensor>();
  grads.set(y.id, seed ?? expand(g.scalar(1, y.dtype), y.shape));
  for (let id = y.id; id >= 0; id--) {
    const node = g.nodes[id];
    const gOut = grads.get(id);
    if (!gOut || !relevant[id] || node.inputs.length === 0) continue;
    const def = opDef(node.op);
    if (!def.vjp) throw new Error(`grad: op ${node.op} (node #${id}) has no gradient rule`);
    const gIn = def.vjp(node, gOut);
    node.inputs.forEach((input, k) => {
      const gi = gIn[k];
      if (!gi || !relevant[input.id] || !input.isFloat) return;
      const prev = grads.get(input.id);
      grads.set(input.id, prev ? add(prev, gi) : gi);
    });
  }
  return wrt.map((t) => grads.get(t.id) ?? expand(g.scalar(0, t.dtype), t.shape));
}

/** Marks the nodes (up to `last`) that depend on any of `targets`; ids are topologically ordered. */
function dependsOn(nodes: readonly Tensor[], targets: Set<number>, last: number): boolean[] {
  const mark: boolean[] = new Array(last + 1).fill(false);
  for (let id = 0; id <= last; id++) {
    mark[id] = targets.has(id) || nodes[id].inputs.some((i) => mark[i.id]);
  }
  return mark;
}
