/**
 * src/graph: tensor-expression graphs with static shapes, reverse-mode autodiff and ONNX export.
 *
 * ```ts
 * const g = new Graph();
 * const x = g.input("x", [4, 3]);
 * const w = g.input("w", [3, 2]);
 * const loss = reduceMean(pow(matmul(x, w), 2));
 * const [dw] = grad(loss, [w]);
 * const model = exportOnnx({ loss, dw });
 * ```
 */
export { Graph, Tensor } from "./tensor.ts";
export type { ConstData, DType, TensorLike } from "./tensor.ts";
export { fmtShape, type Shape, ShapeError, sizeOf } from "./shape.ts";
export * from "./ops.ts";
export * from "./layers.ts";
export { grad } from "./autodiff.ts";
export { exportOnnx, OPSET, type OnnxModel, type ValueSpec } from "./onnx.ts";
export { opNames } from "./registry.ts";
export { countFlops, nodeFlops } from "./flops.ts";
export { peakLiveBytes, tensorBytes } from "./memory.ts";
