/**
 * The graph's op functions: the vocabulary models and optimizers are written in. Each builds one node
 * (shape-checked at build time); composite layers live in ./layers.ts.
 */
import type { Attrs, DType, Tensor, TensorLike } from "./tensor.ts";
import "./ops/elementwise.ts";
import "./ops/reduce.ts";
import "./ops/shape_ops.ts";
import "./ops/linalg.ts";
import "./ops/nn.ts";

function graphOf(...xs: TensorLike[]): Tensor["graph"] {
  const t = xs.find((x): x is Tensor => typeof x !== "number");
  if (!t) throw new Error("an op needs at least one tensor operand");
  return t.graph;
}

function op(name: string, inputs: TensorLike[], attrs: Attrs = {}): Tensor {
  return graphOf(...inputs).apply(name, inputs, attrs);
}

/** a + b (broadcasting). */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return op("Add", [a, b]);
}
/** a - b (broadcasting). */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return op("Sub", [a, b]);
}
/** a * b (broadcasting). */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return op("Mul", [a, b]);
}
/** a / b (broadcasting). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return op("Div", [a, b]);
}
/** Elementwise maximum (broadcasting). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return op("Max", [a, b]);
}
/** Elementwise minimum (broadcasting). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return op("Min", [a, b]);
}
/** -x. */
export function neg(x: Tensor): Tensor {
  return op("Neg", [x]);
}
/** e^x. */
export function exp(x: Tensor): Tensor {
  return op("Exp", [x]);
}
/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return op("Log", [x]);
}
/** Square root. */
export function sqrt(x: Tensor): Tensor {
  return op("Sqrt", [x]);
}
/** |x|. */
export function abs(x: Tensor): Tensor {
  return op("Abs", [x]);
}
/** sign(x) in {-1, 0, 1} (zero gradient). */
export function sign(x: Tensor): Tensor {
  return op("Sign", [x]);
}
/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return op("Relu", [x]);
}
/** tanh(x). */
export function tanh(x: Tensor): Tensor {
  return op("Tanh", [x]);
}
/** The logistic sigmoid. */
export function sigmoid(x: Tensor): Tensor {
  return op("Sigmoid", [x]);
}
/** x^p for a constant exponent p. */
export function pow(x: Tensor, p: number): Tensor {
  return op("Pow", [x], { exponent: p });
}
/** a > b, as bool. */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return op("Greater", [a, b]);
}
/** a < b, as bool. */
export function less(a: TensorLike, b: TensorLike): Tensor {
  return op("Less", [a, b]);
}
/** a == b, as bool. */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return op("Equal", [a, b]);
}
/** a >= b, as bool. */
export function greaterOrEqual(a: TensorLike, b: TensorLike): Tensor {
  return op("GreaterOrEqual", [a, b]);
}
/** a <= b, as bool. */
export function lessOrEqual(a: TensorLike, b: TensorLike): Tensor {
  return op("LessOrEqual", [a, b]);
}
/** cond ? a : b, elementwise (broadcasting). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const g = cond.graph;
  const like = [a, b].find((t): t is Tensor => typeof t !== "number");
  const dtype = like?.dtype ?? g.floatType;
  const lift = (t: TensorLike) => (typeof t === "number" ? g.scalar(t, dtype) : t);
  return g.apply("Where", [cond, lift(a), lift(b)]);
}
/** Converts to another dtype. */
export function cast(x: Tensor, to: DType): Tensor {
  return x.dtype === to ? x : op("Cast", [x], { to });
}
/** Broadcasts x to a shape. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return op("Expand", [x], { shape: [...shape] });
}

/** Sum over axes (all axes when omitted). */
export function reduceSum(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return op("ReduceSum", [x], { axes: axes ? [...axes] : undefined, keepDims });
}
/** Mean over axes (all axes when omitted). */
export function reduceMean(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return op("ReduceMean", [x], { axes: axes ? [...axes] : undefined, keepDims });
}
/** Maximum over axes (all axes when omitted); ties share the gradient. */
export function reduceMax(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return op("ReduceMax", [x], { axes: axes ? [...axes] : undefined, keepDims });
}

/** Running sum along an axis (from the end when `reverse`). */
export function cumSum(x: Tensor, axis: number, reverse = false): Tensor {
  return op("CumSum", [x], { axis, reverse });
}
/** A 0/1 mask with only its first 1 along `axis` kept (the first maximum, as PyTorch's argmax picks it). */
export function firstOnes(mask: Tensor, axis: number): Tensor {
  return mul(mask, cast(equal(cumSum(mask, axis), 1), mask.dtype));
}

/** Reshapes (one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return op("Reshape", [x], { shape: [...shape] });
}
/** Permutes dimensions (reverses them when perm is omitted). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  return op("Transpose", [x], { perm: perm ? [...perm] : [...x.shape.keys()].reverse() });
}
/** Swaps the last two dimensions. */
export function transposeLast2(x: Tensor): Tensor {
  const perm = [...x.shape.keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}
/** x[starts:ends] along the given axes (step 1; negative indices count from the end). */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
  return op("Slice", [x], { starts: [...starts], ends: [...ends], axes: axes ? [...axes] : [...starts.keys()] });
}
/** Zero-pads: pads = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] as in ONNX. */
export function pad(x: Tensor, pads: readonly number[]): Tensor {
  return op("Pad", [x], { pads: [...pads] });
}
/** Joins tensors along an axis. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  return op("Concat", [...xs], { axis });
}
/** Rows of `table` picked by integer `indices` (embedding lookup): shape [...indices.shape, ...table.shape[1:]]. */
export function gather(table: Tensor, indices: Tensor): Tensor {
  return op("Gather", [table, indices]);
}
/** Adds the rows of `updates` into a zero tensor of `rows` rows at `indices` (the VJP of gather). */
export function scatterAddRows(updates: Tensor, indices: Tensor, rows: number): Tensor {
  return op("ScatterAddRows", [updates, indices], { rows });
}

/** out[..., 0] = x[..., indices[..., 0]]: one entry of each row of the last axis (indices shaped [..., 1]). */
export function takeAlongLastAxis(x: Tensor, indices: Tensor): Tensor {
  return op("TakeAlongLastAxis", [x, indices]);
}

/** Batched matrix product with broadcasting over the leading dimensions. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return op("MatMul", [a, b]);
}

/** Softmax along an axis. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return op("Softmax", [x], { axis });
}
/** Log-softmax along an axis. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return op("LogSoftmax", [x], { axis });
}
/** 2-D convolution, NCHW input and [C_out, C_in, kH, kW] kernel; no bias. */
export function conv2d(
  x: Tensor,
  w: Tensor,
  options: { stride?: number; padding?: number; dilation?: number } = {},
): Tensor {
  const { stride = 1, padding = 0, dilation = 1 } = options;
  return op("Conv", [x, w], { stride, padding, dilation });
}
/** Transposed 2-D convolution (the input-gradient of conv2d); outputPadding fixes the output size. */
export function convTranspose2d(
  y: Tensor,
  w: Tensor,
  options: { stride: number; padding: number; outputPadding: number },
): Tensor {
  return op("ConvTranspose", [y, w], options);
}
/** 2-D max pooling over NCHW input (no padding; stride defaults to the kernel size). */
export function maxPool2d(x: Tensor, kernel: number, stride = kernel): Tensor {
  return op("MaxPool", [x], { kernel, stride });
}
