/** Elementwise ops with NumPy broadcasting: arithmetic, unary math, activations, comparisons, Where, Cast. */
import { defineOp, sameAs } from "../registry.ts";
import { broadcastShapes, ShapeError } from "../shape.ts";
import type { DType, Tensor } from "../tensor.ts";
import { cast, div, greater, greaterOrEqual, lessOrEqual, mul, neg, pow, reduceSum, reshape, sign, sub, where } from "../ops.ts";

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? reduceSum(g, axes, true) : g;
  return reshape(summed, shape);
}

function binaryInfer(op: string, numeric: boolean) {
  return (ins: readonly Tensor[]) => {
    const [a, b] = ins;
    if (a.dtype !== b.dtype) throw new ShapeError(op, [a.shape, b.shape], `dtypes differ (${a.dtype} vs ${b.dtype})`);
    if (numeric && a.dtype === "bool") throw new ShapeError(op, [a.shape, b.shape], "does not take bool tensors");
    const shape = broadcastShapes(a.shape, b.shape);
    if (!shape) throw new ShapeError(op, [a.shape, b.shape], "shapes do not broadcast");
    return { shape, dtype: a.dtype };
  };
}

/**
 * A binary op whose VJP gives each input's gradient at the output's shape, summed down to the input's shape
 * here; `negateB` marks a second gradient that is the negative of the returned one, negated after that sum
 * (on the input's shape, often a [B, T, 1] statistic, not the output's: one full-size pass fewer, and the
 * same bits, since rounding to nearest is symmetric in sign).
 */
function defineBinary(
  name: string,
  onnx: string,
  vjp?: (a: Tensor, b: Tensor, out: Tensor, g: Tensor) => [Tensor | null, Tensor | null],
  negateB = false,
) {
  defineOp(name, {
    infer: binaryInfer(name, true),
    emit: (out, ctx) => ctx.node(onnx, out.inputs.map((t) => ctx.name(t)), [ctx.name(out)]),
    vjp: vjp && ((out, g) => {
      const [a, b] = out.inputs;
      const [ga, gb] = vjp(a, b, out, g);
      const sumB = gb && unbroadcast(gb, b.shape);
      return [ga && unbroadcast(ga, a.shape), sumB && negateB ? neg(sumB) : sumB];
    }),
  });
}

defineBinary("Add", "Add", (_a, _b, _o, g) => [g, g]);
defineBinary("Sub", "Sub", (_a, _b, _o, g) => [g, g], true);
defineBinary("Mul", "Mul", (a, b, _o, g) => [mul(g, b), mul(g, a)]);
defineBinary("Div", "Div", (_a, b, o, g) => {
  const ga = div(g, b);
  return [ga, mul(ga, o)];
}, true);
defineBinary("Max", "Max", (a, b, _o, g) => {
  const pick = cast(greaterOrEqual(a, b), g.dtype);
  return [mul(g, pick), mul(g, sub(1, pick))];
});
defineBinary("Min", "Min", (a, b, _o, g) => {
  const pick = cast(lessOrEqual(a, b), g.dtype);
  return [mul(g, pick), mul(g, sub(1, pick))];
});

function defineUnary(name: string, onnx: string, vjp: (x: Tensor, out: Tensor, g: Tensor) => Tensor | null) {
  defineOp(name, {
    infer: ([x]) => {
      if (!x.isFloat) throw new ShapeError(name, [x.shape], `needs a float tensor, got ${x.dtype}`);
      return sameAs(x);
    },
    emit: (out, ctx) => ctx.node(onnx, [ctx.name(out.inputs[0])], [ctx.name(out)]),
    vjp: (out, g) => [vjp(out.inputs[0], out, g)],
  });
}

defineUnary("Neg", "Neg", (_x, _o, g) => neg(g));
defineUnary("Exp", "Exp", (_x, o, g) => mul(g, o));
defineUnary("Log", "Log", (x, _o, g) => div(g, x));
defineUnary("Sqrt", "Sqrt", (_x, o, g) => div(mul(g, 0.5), o));
defineUnary("Abs", "Abs", (x, _o, g) => mul(g, sign(x)));
defineUnary("Sign", "Sign", () => null);
defineUnary("Relu", "Relu", (x, _o, g) => mul(g, cast(greater(x, 0), g.dtype)));
defineUnary("Tanh", "Tanh", (_x, o, g) => mul(g, sub(1, mul(o, o))));
defineUnary("Sigmoid", "Sigmoid", (_x, o, g) => mul(g, mul(o, sub(1, o))));

defineOp("Pow", {
  infer: ([x], attrs) => {
    if (!x.isFloat) throw new ShapeError("Pow", [x.shape], `needs a float tensor, got ${x.dtype}`);
    if (typeof attrs.exponent !== "number") throw new ShapeError("Pow", [x.shape], "needs a numeric exponent");
    return sameAs(x);
  },
  emit: (out, ctx) => {
    const p = out.attrs.exponent as number;
    const x = out.inputs[0];
    const e = ctx.fresh("exp");
    ctx.node("Constant", [], [e], { value_float: p }, ["value_float"]);
    const typed = x.dtype === "float32" ? e : ctx.fresh("exp64");
    if (typed !== e) ctx.node("Cast", [e], [typed], { to: 11 });
    ctx.node("Pow", [ctx.name(x), typed], [ctx.name(out)]);
  },
  vjp: (out, g) => {
    const p = out.attrs.exponent as number;
    const x = out.inputs[0];
    return [p === 2 ? mul(g, mul(x, 2)) : mul(g, mul(pow(x, p - 1), p))];
  },
});

function defineCompare(name: string) {
  defineOp(name, {
    infer: (ins) => ({ shape: binaryInfer(name, false)(ins).shape, dtype: "bool" }),
    emit: (out, ctx) => ctx.node(name, out.inputs.map((t) => ctx.name(t)), [ctx.name(out)]),
    vjp: () => [null, null],
  });
}
for (const c of ["Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual"]) defineCompare(c);

defineOp("Where", {
  infer: ([c, a, b]) => {
    if (c.dtype !== "bool") throw new ShapeError("Where", [c.shape, a.shape, b.shape], "condition must be bool");
    if (a.dtype !== b.dtype) throw new ShapeError("Where", [c.shape, a.shape, b.shape], "branch dtypes differ");
    const ab = broadcastShapes(a.shape, b.shape);
    const shape = ab && broadcastShapes(c.shape, ab);
    if (!shape) throw new ShapeError("Where", [c.shape, a.shape, b.shape], "shapes do not broadcast");
    return { shape, dtype: a.dtype };
  },
  emit: (out, ctx) => ctx.node("Where", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)]),
  vjp: (out, g) => {
    const [c, a, b] = out.inputs;
    return [null, unbroadcast(where(c, g, 0), a.shape), unbroadcast(where(c, 0, g), b.shape)];
  },
});

const ONNX_TYPE: Record<DType, number> = { float32: 1, float64: 11, int32: 6, int64: 7, bool: 9 };

/** The ONNX TensorProto element type code of a dtype. */
export function onnxType(d: DType): number {
  return ONNX_TYPE[d];
}

defineOp("Cast", {
  infer: ([x], attrs) => sameAs(x, attrs.to as DType),
  emit: (out, ctx) => ctx.node("Cast", [ctx.name(out.inputs[0])], [ctx.name(out)], { to: ONNX_TYPE[out.dtype] }),
  vjp: (out, g) => [out.inputs[0].isFloat && out.isFloat ? cast(g, out.inputs[0].dtype) : null],
});

defineOp("Expand", {
  infer: ([x], attrs) => {
    const target = attrs.shape as number[];
    const shape = broadcastShapes(x.shape, target);
    if (!shape || shape.length !== target.length || shape.some((d, i) => d !== target[i])) {
      throw new ShapeError("Expand", [x.shape], `cannot broadcast to [${target.join(", ")}]`);
    }
    return { shape, dtype: x.dtype };
  },
  emit: (out, ctx) => ctx.node("Expand", [ctx.name(out.inputs[0]), ctx.int64s(out.shape)], [ctx.name(out)]),
  vjp: (out, g) => [unbroadcast(g, out.inputs[0].shape)],
});

