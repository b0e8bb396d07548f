/**
 * Tiny ONNX models built directly with onnx-proto, plus float64 references that compute the same
 * functions in plain JS. Used only by tests and benchmarks of the runtime layer, so they do not depend on
 * the project's own graph compiler.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** A dimension: a fixed size or a symbolic name such as "batch". */
type Dim = number | string;

function floatValue(name: string, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d });
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}

function floatInitializer(name: string, dims: readonly number[], data: Float32Array) {
  const rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: FLOAT, rawData });
}

function encodeModel(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    producerName: "lmo-bench-tests",
    opsetImport: [{ domain: "", version: 13 }],
    graph: onnx.GraphProto.create(graph),
  })).finish();
}

/** Serialized model `C = A @ B` with runtime inputs A [m, k] and B [k, n] and output C [m, n]. */
export function matmulModel(m: number, k: number, n: number): Uint8Array {
  return encodeModel({
    name: "matmul",
    node: [{ opType: "MatMul", input: ["A", "B"], output: ["C"] }],
    input: [floatValue("A", [m, k]), floatValue("B", [k, n])],
    output: [floatValue("C", [m, n])],
  });
}

/** Weights of one dense layer: `weight` is [inFeatures, outFeatures] row-major, `bias` is [outFeatures]. */
export interface DenseWeights {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array;
}

function checkDense(w: DenseWeights): void {
  if (w.weight.length !== w.inFeatures * w.outFeatures || w.bias.length !== w.outFeatures) {
    throw new Error(
      `dense weights do not match their sizes: weight has ${w.weight.length} values (want ` +
        `${w.inFeatures}x${w.outFeatures}), bias has ${w.bias.length} (want ${w.outFeatures})`,
    );
  }
}

/**
 * Serialized one-layer MLP with the weights stored as initializers: runtime input X [batch, in] with a
 * symbolic batch, outputs Z = X @ W + b and Y = Relu(Z), both [batch, out].
 */
export function mlpModel(w: DenseWeights): Uint8Array {
  checkDense(w);
  return encodeModel({
    name: "mlp",
    node: [
      { opType: "MatMul", input: ["X", "W"], output: ["XW"] },
      { opType: "Add", input: ["XW", "b"], output: ["Z"] },
      { opType: "Relu", input: ["Z"], output: ["Y"] },
    ],
    initializer: [
      floatInitializer("W", [w.inFeatures, w.outFeatures], w.weight),
      floatInitializer("b", [w.outFeatures], w.bias),
    ],
    input: [floatValue("X", ["batch", w.inFeatures])],
    output: [floatValue("Z", ["batch", w.outFeatures]), floatValue("Y", ["batch", w.outFeatures])],
  });
}

/** Float64 reference of `A [m, k] @ B [k, n]`, row-major. */
export function matmulReference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
    }
  }
  return c;
}

/** Float64 reference of {@link mlpModel}: returns Z = X @ W + b and Y = Relu(Z) for X [batch, in]. */
export function mlpReference(
  x: ArrayLike<number>,
  batch: number,
  w: DenseWeights,
): { z: Float64Array; y: Float64Array } {
  checkDense(w);
  const z = matmulReference(x, w.weight, batch, w.inFeatures, w.outFeatures);
  for (let i = 0; i < z.length; i++) z[i] += w.bias[i % w.outFeatures];
  return { z, y: z.map((v) => Math.max(v, 0)) };
}
