/** Neural-network ops: Softmax, LogSoftmax, Conv (with its transposed form) and MaxPool. */
import { defineOp } from "../registry.ts";
import { normAxis, ShapeError } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import {
  add,
  concat,
  conv2d,
  convTranspose2d,
  exp,
  matmul,
  mul,
  pad,
  reduceMean,
  reduceSum,
  reshape,
  slice,
  sub,
  tanh,
  transpose,
  transposeLast2,
} from "../ops.ts";

function defineSoftmax(name: string, vjp: (out: Tensor, g: Tensor, axis: number) => Tensor) {
  defineOp(name, {
    infer: ([x], attrs) => {
      if (!x.isFloat) throw new ShapeError(name, [x.shape], "needs a float tensor");
      normAxis(name, attrs.axis as number, x.shape);
      return { shape: [...x.shape], dtype: x.dtype };
    },
    emit: (out, ctx) =>
      ctx.node(name, [ctx.name(out.inputs[0])], [ctx.name(out)], { axis: normAxis(name, out.attrs.axis as number, out.shape) }),
    vjp: (out, g) => [vjp(out, g, normAxis(name, out.attrs.axis as number, out.shape))],
  });
}

defineSoftmax("Softmax", (y, g, axis) => mul(y, sub(g, reduceSum(mul(g, y), [axis], true))));
defineSoftmax("LogSoftmax", (y, g, axis) => sub(g, mul(exp(y), reduceSum(g, [axis], true))));

/** Output size of a convolution or pooling window along one spatial axis. */
function windowOut(size: number, kernel: number, stride: number, padding: number, dilation = 1): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

defineOp("Conv", {
  infer: ([x, w], attrs) => {
    const { stride, padding, dilation } = attrs as { stride: number; padding: number; dilation: number };
    if (x.rank !== 4 || w.rank !== 4) throw new ShapeError("Conv", [x.shape, w.shape], "needs NCHW input and a 4-D kernel");
    if (x.shape[1] !== w.shape[1]) {
      throw new ShapeError("Conv", [x.shape, w.shape], `input has ${x.shape[1]} channels, kernel expects ${w.shape[1]}`);
    }
    const h = windowOut(x.shape[2], w.shape[2], stride, padding, dilation);
    const wd = windowOut(x.shape[3], w.shape[3], stride, padding, dilation);
    if (h < 1 || wd < 1) throw new ShapeError("Conv", [x.shape, w.shape], "kernel is larger than the padded input");
    return { shape: [x.shape[0], w.shape[0], h, wd], dtype: x.dtype };
  },
  emit: (out, ctx) => {
    const { stride, padding, dilation } = out.attrs as { stride: number; padding: number; dilation: number };
    const w = out.inputs[1];
    ctx.node("Conv", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)], {
      kernel_shape: w.shape.slice(2),
      strides: [stride, stride],
      pads: [padding, padding, padding, padding],
      dilations: [dilation, dilation],
    });
  },
  vjp: (out, g) => {
    const [x, w] = out.inputs;
    const { stride, padding, dilation } = out.attrs as { stride: number; padding: number; dilation: number };
    if (dilation !== 1) throw new Error("Conv: gradients of dilated convolutions are not supported");
    const k = w.shape[2];
    const outputPadding = x.shape[2] - ((g.shape[2] - 1) * stride + k - 2 * padding);
    const gx = convTranspose2d(g, w, { stride, padding, outputPadding });
    if (stride === 1) return [gx, strideOneKernelGrad(x, g, k, w.shape[3], padding)];
    // dW[o,i,a,b] = sum_{n,p,q} g[n,o,p,q] x[n,i,p*s+a-pad,q*s+b-pad]: a convolution of x (channels as batch)
    // with g (batch as channels), dilated by the stride, cropped to the kernel size.
    const xt = transpose(x, [1, 0, 2, 3]);
    const gt = transpose(g, [1, 0, 2, 3]);
    const full = conv2d(xt, gt, { padding, dilation: stride });
    const gw = transpose(slice(full, [0, 0], [k, w.shape[3]], [2, 3]), [1, 0, 2, 3]);
    return [gx, gw];
  },
});

/**
 * The kernel gradient of a stride-1 convolution as one matrix product per kernel offset (a, b):
 * dW[:, :, a, b] = g [C_out, N*H*W] @ x_ab^T, with x_ab the padded input shifted by (a, b), channels first.
 * The strided form (a Conv with the output gradient as an H x W kernel) makes ONNX Runtime build an im2col
 * buffer of N*H*W rows of kh*kw entries, at about 7 GFLOP/s. This form makes a one-thread cnn-tiny step 16%
 * faster and a cnn-small step 15%, for one shifted copy of the input held beside the gradient (4% more peak
 * memory at cnn-small; docs/performance.md).
 */
function strideOneKernelGrad(x: Tensor, g: Tensor, kh: number, kw: number, padding: number): Tensor {
  const [n, cin] = x.shape;
  const [, cout, ho, wo] = g.shape;
  const xt = pad(transpose(x, [1, 0, 2, 3]), [0, 0, padding, padding, 0, 0, padding, padding]);
  const gt = reshape(transpose(g, [1, 0, 2, 3]), [cout, n * ho * wo]);
  const offsets: Tensor[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const shifted = reshape(slice(xt, [a, b], [a + ho, b + wo], [2, 3]), [cin, n * ho * wo]);
      offsets.push(matmul(gt, transposeLast2(shifted)));
    }
  }
  return transpose(reshape(concat(offsets, 1), [cout, kh, kw, cin]), [0, 3, 1, 2]);
}

defineOp("ConvTranspose", {
  infer: ([y, w], attrs) => {
    const { stride, padding, outputPadding } = attrs as { stride: number; padding: number; outputPadding: number };
    if (y.rank !== 4 || w.rank !== 4 || y.shape[1] !== w.shape[0]) {
      throw new ShapeError("ConvTranspose", [y.shape, w.shape], "needs NCHW input whose channels match the kernel's first axis");
    }
    if (outputPadding < 0 || outputPadding >= stride) {
      throw new ShapeError("ConvTranspose", [y.shape, w.shape], `output padding ${outputPadding} must lie in [0, stride)`);
    }
    const size = (d: number, k: number) => (d - 1) * stride + k - 2 * padding + outputPadding;
    return { shape: [y.shape[0], w.shape[1], size(y.shape[2], w.shape[2]), size(y.shape[3], w.shape[3])], dtype: y.dtype };
  },
  emit: (out, ctx) => {
    const { stride, padding, outputPadding } = out.attrs as { stride: number; padding: number; outputPadding: number };
    ctx.node("ConvTranspose", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)], {
      kernel_shape: out.inputs[1].shape.slice(2),
      strides: [stride, stride],
      pads: [padding, padding, padding, padding],
      output_padding: [outputPadding, outputPadding],
    });
  },
  vjp: (out, g) => {
    const [, w] = out.inputs;
    const { stride, padding } = out.attrs as { stride: number; padding: number };
    return [conv2d(g, w, { stride, padding }), null];
  },
});

defineOp("MaxPool", {
  infer: ([x], attrs) => {
    const { kernel, stride } = attrs as { kernel: number; stride: number };
    if (x.rank !== 4) throw new ShapeError("MaxPool", [x.shape], "needs NCHW input");
    const h = windowOut(x.shape[2], kernel, stride, 0);
    const w = windowOut(x.shape[3], kernel, stride, 0);
    if (h < 1 || w < 1) throw new ShapeError("MaxPool", [x.shape], `kernel ${kernel} is larger than the input`);
    return { shape: [x.shape[0], x.shape[1], h, w], dtype: x.dtype };
  },
  emit: (out, ctx) => {
    const { kernel, stride } = out.attrs as { kernel: number; stride: number };
    ctx.node("MaxPool", [ctx.name(out.inputs[0])], [ctx.name(out)], { kernel_shape: [kernel, kernel], strides: [stride, stride] });
  },
  vjp: (out, g) => [out.graph.apply("MaxPoolGrad", [out.inputs[0], g], out.attrs)],
});

/**
 * The gradient of max pooling: each window's gradient goes to the first entry, in row-major order, equal to
 * its maximum, as PyTorch does and as ONNX Runtime's MaxPool indices point (ties are common on flat image
 * regions). Rows and columns past the last full window get zero.
 */
defineOp("MaxPoolGrad", {
  infer: ([x]) => ({ shape: [...x.shape], dtype: x.dtype }),
  emit: (out, ctx) => {
    const [x, g] = out.inputs;
    const { kernel, stride } = out.attrs as { kernel: number; stride: number };
    const window = { kernel_shape: [kernel, kernel], strides: [stride, stride] };
    const [pooled, indices] = [ctx.fresh("pooled"), ctx.fresh("indices")];
    ctx.node("MaxPool", [ctx.name(x)], [pooled, indices], window);
    if (kernel === stride && x.dtype === "float32") {
      // Windows that do not overlap: MaxUnpool writes each gradient at its index (float32 only in ORT), 3x
      // faster than a scatter and 4x faster than elementwise window masks at cnn-small's first pool.
      ctx.node("MaxUnpool", [ctx.name(g), indices, ctx.int64s(x.shape, "shape")], [ctx.name(out)], window);
      return;
    }
    // Overlapping windows (or float64): a scatter-add of the gradients at MaxPool's flat indices.
    const [flatIdx, flatG, flatOut] = ["flat_idx", "flat_g", "flat_out"].map((h) => ctx.fresh(h));
    const flat = ctx.int64s([-1], "flat");
    ctx.node("Reshape", [indices, flat], [flatIdx]);
    ctx.node("Reshape", [ctx.name(g), flat], [flatG]);
    ctx.node("ScatterElements", [ctx.zeros([x.size], x.dtype), flatIdx, flatG], [flatOut], { axis: 0, reduction: "add" });
    ctx.node("Reshape", [flatOut, ctx.int64s(x.shape, "shape")], [ctx.name(out)]);
  },
});

/** sqrt(2/pi) and the cubic coefficient of the tanh form of GELU. */
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

defineOp("Gelu", {
  infer: ([x]) => {
    if (!x.isFloat) throw new ShapeError("Gelu", [x.shape], "needs a float tensor");
    return { shape: [...x.shape], dtype: x.dtype };
  },
  emit: (out, ctx) => {
    const x = ctx.name(out.inputs[0]);
    if (out.dtype === "float32") return ctx.contribNode("FastGelu", [x], [ctx.name(out)]);
    // float64: ORT's fused kernel is float32-only, so spell the same function out.
    const [x2, x3, ax3, sm, u, t, t1, hx] = ["x2", "x3", "ax3", "s", "u", "t", "t1", "hx"].map((h) => ctx.fresh(h));
    const c = (v: number) => {
      const n = ctx.fresh("c");
      ctx.node("Constant", [], [n], { value: { dims: [], dataType: 11, values: new Float64Array([v]) } });
      return n;
    };
    ctx.node("Mul", [x, x], [x2]);
    ctx.node("Mul", [x2, x], [x3]);
    ctx.node("Mul", [x3, c(GELU_A)], [ax3]);
    ctx.node("Add", [x, ax3], [sm]);
    ctx.node("Mul", [sm, c(GELU_C)], [u]);
    ctx.node("Tanh", [u], [t]);
    ctx.node("Add", [t, c(1)], [t1]);
    ctx.node("Mul", [x, c(0.5)], [hx]);
    ctx.node("Mul", [hx, t1], [ctx.name(out)]);
  },
  // d/dx 0.5 x (1 + t) with t = tanh(C (x + A x^3)):  0.5 (1 + t) + 0.5 x (1 - t^2) C (1 + 3 A x^2).
  vjp: (out, g) => {
    const x = out.inputs[0];
    const x2 = mul(x, x);
    const t = tanh(mul(x, add(mul(x2, GELU_A * GELU_C), GELU_C)));
    const halfX = mul(x, 0.5);
    const slope = add(mul(halfX, mul(sub(1, mul(t, t)), add(mul(x2, 3 * GELU_A * GELU_C), GELU_C))), mul(add(t, 1), 0.5));
    return [mul(g, slope)];
  },
});

/** Last-axis statistics ONNX's LayerNormalization writes beside its output, for the backward pass. */
type LayerNormStat = "mean" | "invstd";
const statName = (ctx: { name(t: Tensor): string }, norm: Tensor, stat: LayerNormStat) =>
  `${ctx.name(norm)}__${stat}`;

defineOp("LayerNorm", {
  infer: ([x, gain, bias]) => {
    // ORT's kernel keeps float32 statistics for any input type (src/graph/layers.ts layerNorm).
    if (x.dtype !== "float32") throw new ShapeError("LayerNorm", [x.shape], "is a float32 kernel");
    const d = x.shape[x.rank - 1];
    for (const p of [gain, bias]) {
      if (p && (p.rank !== 1 || p.shape[0] !== d)) {
        throw new ShapeError("LayerNorm", [x.shape, p.shape], `gain and bias must have shape [${d}]`);
      }
    }
    return { shape: [...x.shape], dtype: x.dtype };
  },
  emit: (out, ctx) => {
    const { eps } = out.attrs as { eps: number };
    ctx.node("LayerNormalization", out.inputs.map((t) => ctx.name(t)), [
      ctx.name(out),
      statName(ctx, out, "mean"),
      statName(ctx, out, "invstd"),
    ], { axis: -1, epsilon: eps }, ["epsilon"]);
  },
  // With xhat = (x - mean) invstd and dxhat = g gain:
  // dx = invstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dgain = sum g xhat, dbias = sum g.
  vjp: (out, g) => {
    const [x, gain, bias] = out.inputs;
    const stat = (s: LayerNormStat) => out.graph.apply("LayerNormStat", [out], { stat: s });
    const invstd = stat("invstd");
    const xhat = mul(sub(x, stat("mean")), invstd);
    const dxhat = mul(g, gain);
    const lead = x.shape.slice(0, -1).map((_, i) => i);
    const m1 = mul(reduceMean(dxhat, [-1], true), invstd);
    const m2 = mul(reduceMean(mul(dxhat, xhat), [-1], true), invstd);
    const dx = sub(sub(mul(dxhat, invstd), m1), mul(xhat, m2));
    return [dx, reduceSum(mul(g, xhat), lead), bias ? reduceSum(g, lead) : null];
  },
});

defineOp("LayerNormStat", {
  infer: ([norm]) => {
    if (norm.op !== "LayerNorm") {
      throw new ShapeError("LayerNormStat", [norm.shape], "reads a LayerNorm's statistics");
    }
    return { shape: [...norm.shape.slice(0, -1), 1], dtype: norm.dtype };
  },
  emit: (out, ctx) => {
    const { stat } = out.attrs as { stat: LayerNormStat };
    ctx.node("Identity", [statName(ctx, out.inputs[0], stat)], [ctx.name(out)]);
  },
  vjp: () => [null],
});
