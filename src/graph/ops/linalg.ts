/** Batched matrix multiplication with broadcasting over leading dimensions. */
import { defineOp } from "../registry.ts";
import { broadcastShapes, ShapeError } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { matmul, reshape, transposeLast2 } from "../ops.ts";
import { unbroadcast } from "./elementwise.ts";

defineOp("MatMul", {
  infer: ([a, b]) => {
    if (a.rank < 2 || b.rank < 2) throw new ShapeError("MatMul", [a.shape, b.shape], "needs rank >= 2 operands");
    if (a.dtype !== b.dtype || !a.isFloat) throw new ShapeError("MatMul", [a.shape, b.shape], "needs float operands of one dtype");
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new ShapeError("MatMul", [a.shape, b.shape], `inner dimensions ${k} and ${k2} differ`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (!batch) throw new ShapeError("MatMul", [a.shape, b.shape], "batch dimensions do not broadcast");
    return { shape: [...batch, m, n], dtype: a.dtype };
  },
  emit: (out, ctx) => ctx.node("MatMul", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)]),
  vjp: (out, g) => {
    const [a, b] = out.inputs;
    const ga = unbroadcast(matmul(g, transposeLast2(b)), a.shape);
    return [ga, weightGrad(a, b, g)];
  },
});

/** dL/db for out = a @ b; a shared matrix b (rank 2) folds the batch into one product instead of a sum. */
function weightGrad(a: Tensor, b: Tensor, g: Tensor): Tensor {
  if (b.rank === 2 && a.rank > 2) {
    const k = a.shape[a.rank - 1];
    const n = g.shape[g.rank - 1];
    return matmul(transposeLast2(reshape(a, [-1, k])), reshape(g, [-1, n]));
  }
  return unbroadcast(matmul(transposeLast2(a), g), b.shape);
}
