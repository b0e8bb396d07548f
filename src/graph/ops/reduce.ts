/** Reductions over axes: ReduceSum, ReduceMean, ReduceMax. */
import { defineOp } from "../registry.ts";
import { normAxis, ShapeError, sizeOf } from "../shape.ts";
import type { Attrs, Tensor } from "../tensor.ts";
import { cast, cumSum, div, equal, expand, mul, reduceSum, reshape } from "../ops.ts";

/** The sorted, non-negative axes a reduction runs over (all axes when none are given). */
export function reductionAxes(op: string, x: Tensor, attrs: Attrs): number[] {
  const axes = attrs.axes as number[] | undefined;
  if (!axes) return [...x.shape.keys()];
  const norm = axes.map((a) => normAxis(op, a, x.shape));
  if (new Set(norm).size !== norm.length) throw new ShapeError(op, [x.shape], `repeated axes ${axes}`);
  return norm.sort((a, b) => a - b);
}

/** The shape of x with the reduced axes set to 1. */
function keptShape(x: Tensor, axes: number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Broadcasts a reduction's output gradient back to the input's shape. */
function spread(out: Tensor, g: Tensor): Tensor {
  const x = out.inputs[0];
  return expand(reshape(g, keptShape(x, reductionAxes(out.op, x, out.attrs))), x.shape);
}

function defineReduce(name: string, vjp: (out: Tensor, g: Tensor) => Tensor) {
  defineOp(name, {
    infer: ([x], attrs) => {
      if (x.dtype === "bool") throw new ShapeError(name, [x.shape], "does not take bool tensors");
      const axes = reductionAxes(name, x, attrs);
      const shape = attrs.keepDims ? keptShape(x, axes) : x.shape.filter((_, i) => !axes.includes(i));
      return { shape, dtype: x.dtype };
    },
    emit: (out, ctx) => {
      const x = out.inputs[0];
      const axes = reductionAxes(name, x, out.attrs);
      const keepdims = out.attrs.keepDims ? 1 : 0;
      if (name === "ReduceSum") {
        ctx.node(name, [ctx.name(x), ctx.int64s(axes, "axes")], [ctx.name(out)], { keepdims });
      } else {
        ctx.node(name, [ctx.name(x)], [ctx.name(out)], { axes, keepdims });
      }
    },
    vjp: (out, g) => [vjp(out, g)],
  });
}

defineReduce("ReduceSum", spread);
defineReduce("ReduceMean", (out, g) => {
  const x = out.inputs[0];
  return div(spread(out, g), sizeOf(x.shape) / Math.max(1, out.size));
});
defineReduce("ReduceMax", (out, g) => {
  const x = out.inputs[0];
  const axes = reductionAxes("ReduceMax", x, out.attrs);
  const hit = cast(equal(x, expand(reshape(out, keptShape(x, axes)), x.shape)), g.dtype);
  const ties = expand(reduceSum(hit, axes, true), x.shape);
  return div(mul(spread(out, g), hit), ties);
});

defineOp("CumSum", {
  infer: ([x], attrs) => {
    if (x.dtype === "bool") throw new ShapeError("CumSum", [x.shape], "does not take bool tensors");
    normAxis("CumSum", attrs.axis as number, x.shape);
    return { shape: [...x.shape], dtype: x.dtype };
  },
  emit: (out, ctx) => {
    const axis = normAxis("CumSum", out.attrs.axis as number, out.shape);
    ctx.node("CumSum", [ctx.name(out.inputs[0]), ctx.int64s([axis], "axis")], [ctx.name(out)], { reverse: out.attrs.reverse ? 1 : 0 });
  },
  // The adjoint of a running sum is the running sum taken in the other direction.
  vjp: (out, g) => [cumSum(g, out.attrs.axis as number, !out.attrs.reverse)],
});
