/**
 * Composite layers built from the primitive ops, so their gradients come from the primitives' VJPs:
 * linear, GELU (tanh form), LayerNorm, RMSNorm, BatchNorm with batch statistics, causal masking and
 * softmax cross-entropy with integer targets.
 */
import { ShapeError } from "./shape.ts";
import type { Tensor } from "./tensor.ts";
import {
  add,
  cast,
  div,
  logSoftmax,
  matmul,
  mul,
  neg,
  reduceMean,
  reduceSum,
  reshape,
  sqrt,
  sub,
  takeAlongLastAxis,
  transposeLast2,
} from "./ops.ts";

/** x @ W^T + b with W stored as [out, in] (PyTorch's layout); b is optional. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = matmul(x, transposeLast2(w));
  return b ? add(y, b) : y;
}

/**
 * GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). One fused kernel forward
 * (ORT's FastGelu) and a hand-written derivative backward.
 */
export function gelu(x: Tensor): Tensor {
  return x.graph.apply("Gelu", [x]);
}

/**
 * Normalises the last axis to zero mean and unit variance, then applies optional gain and bias. In float32,
 * one fused kernel forward (ONNX LayerNormalization, which also keeps the mean and inverse deviation) and a
 * hand-written backward that reads those statistics. ORT's kernel keeps them in float32 whatever the input,
 * too coarse for a float64 graph's backward, so float64 spells the normalisation out.
 */
export function layerNorm(x: Tensor, gain?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  if (x.dtype === "float32") {
    const d = x.shape[x.rank - 1];
    const scale = gain ?? x.graph.constant(new Float64Array(d).fill(1), [d], x.dtype);
    return x.graph.apply("LayerNorm", bias ? [x, scale, bias] : [x, scale], { eps });
  }
  const centred = sub(x, reduceMean(x, [-1], true));
  const variance = reduceMean(mul(centred, centred), [-1], true);
  return affine(div(centred, sqrt(add(variance, eps))), gain, bias);
}

/** Divides the last axis by its root mean square; optional gain. */
export function rmsNorm(x: Tensor, gain?: Tensor, eps = 1e-6): Tensor {
  const ms = reduceMean(mul(x, x), [-1], true);
  return affine(div(x, sqrt(add(ms, eps))), gain);
}

/**
 * BatchNorm in training mode over NCHW input: normalises each channel with the batch's own mean and
 * (biased) variance; gain and bias have shape [C].
 */
export function batchNorm(x: Tensor, gain?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  if (x.rank !== 4) throw new ShapeError("batchNorm", [x.shape], "needs NCHW input");
  const axes = [0, 2, 3];
  const centred = sub(x, reduceMean(x, axes, true));
  const variance = reduceMean(mul(centred, centred), axes, true);
  const perChannel = (t?: Tensor) => t && reshape(t, [1, x.shape[1], 1, 1]);
  return affine(div(centred, sqrt(add(variance, eps))), perChannel(gain), perChannel(bias));
}

function affine(x: Tensor, gain?: Tensor, bias?: Tensor): Tensor {
  const scaled = gain ? mul(x, gain) : x;
  return bias ? add(scaled, bias) : scaled;
}

/**
 * Adds a large negative number to the entries above the diagonal of the last two (T x T) axes, so that a
 * softmax over the last axis gives them zero weight. (An added constant costs nothing in the backward pass.)
 */
export function causalMask(scores: Tensor): Tensor {
  const t = scores.shape[scores.rank - 1];
  if (scores.shape[scores.rank - 2] !== t) throw new ShapeError("causalMask", [scores.shape], "last two axes must be square");
  const mask = new Float64Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = -1e9;
  return add(scores, scores.graph.constant(mask, [t, t], scores.dtype));
}

/**
 * Softmax cross-entropy of logits [..., V] against integer targets [...] (int32): the log-softmax entry of
 * each target, picked without a dense one-hot (so a 50k vocabulary costs no [B, T, V] mask). reduction
 * "mean" averages over the targets, "sum" adds them.
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, reduction: "mean" | "sum" = "mean"): Tensor {
  const lead = logits.shape.slice(0, -1);
  if (targets.dtype !== "int32" || lead.length !== targets.rank || lead.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError("softmaxCrossEntropy", [logits.shape, targets.shape], "targets must be int32 with the logits' leading shape");
  }
  const picked = takeAlongLastAxis(logSoftmax(logits, -1), cast(reshape(targets, [...targets.shape, 1]), "int64"));
  const total = neg(reduceSum(picked));
  return reduction === "sum" ? total : div(total, targets.size);
}
