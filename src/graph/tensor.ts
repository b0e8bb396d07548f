/**
 * Tensor-expression graphs: every value is a node of a {@link Graph} with a static shape and a dtype.
 * Ops are looked up in the op registry (./registry.ts), which checks shapes when a node is built.
 */
import { type Shape, ShapeError, sizeOf } from "./shape.ts";
import { opDef } from "./registry.ts";

/** Element types a graph value can have. */
export type DType = "float32" | "float64" | "int32" | "int64" | "bool";

/** Host arrays for each dtype. */
export type DataOf<D extends DType> = D extends "float32" ? Float32Array
  : D extends "float64" ? Float64Array
  : D extends "int32" ? Int32Array
  : D extends "int64" ? BigInt64Array
  : Uint8Array;

/** Host data accepted for constants. */
export type ConstData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** Op attributes: plain JSON-like values. */
export type Attrs = Record<string, unknown>;

/** One value of a graph: an input, a constant or the output of an op applied to other tensors. */
export class Tensor {
  /** Creates a node; use {@link Graph} methods and the op functions instead of calling this. */
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {}

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Rank (number of dimensions). */
  get rank(): number {
    return this.shape.length;
  }

  /** True for floating-point tensors (those that carry gradients). */
  get isFloat(): boolean {
    return this.dtype === "float32" || this.dtype === "float64";
  }
}

/** Anything an op accepts where a tensor is expected: numbers become constants of the other operand's dtype. */
export type TensorLike = Tensor | number;

/** A graph under construction: owns its nodes, its named inputs and its constants. */
export class Graph {
  readonly nodes: Tensor[] = [];
  readonly #inputNames = new Set<string>();

  /**
   * @param floatType the dtype of numeric literals and of inputs made with {@link Graph.input} by default
   * @param batching whether builders may stack same-shape tensors into one batched computation (default
   *   true; src/optim/stack.ts); false keeps each tensor's computation apart, so that it can run apart
   */
  constructor(readonly floatType: "float32" | "float64" = "float32", readonly batching = true) {}

  /** Declares a runtime input (a parameter, a batch, optimizer state or a scalar hyperparameter). */
  input(name: string, shape: Shape, dtype: DType = this.floatType): Tensor {
    if (this.#inputNames.has(name)) throw new Error(`graph input "${name}" is declared twice`);
    if (!/^[A-Za-z_][A-Za-z0-9_.:/-]*$/.test(name)) {
      throw new Error(
        `graph input name "${name}" must start with a letter or _ and use only [A-Za-z0-9_.:/-]`,
      );
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new ShapeError("input", [shape], `"${name}" has a bad dimension ${d}`);
      }
    }
    this.#inputNames.add(name);
    return this.#add("Input", [], { name }, [...shape], dtype);
  }

  /** A constant tensor stored in the exported model. */
  constant(data: ConstData | number[], shape: Shape, dtype: DType = this.floatType): Tensor {
    const values = toTypedArray(data, dtype);
    if (values.length !== sizeOf(shape)) {
      throw new ShapeError(
        "constant",
        [shape],
        `holds ${values.length} values but the shape needs ${sizeOf(shape)}`,
      );
    }
    return this.#add("Const", [], { values }, [...shape], dtype);
  }

  /** A scalar constant (shape []). */
  scalar(value: number, dtype: DType = this.floatType): Tensor {
    return this.constant([value], [], dtype);
  }

  /** Applies a registered op to inputs; numbers among the inputs become constants of a tensor operand's dtype. */
  apply(op: string, inputs: readonly TensorLike[], attrs: Attrs = {}): Tensor {
    const like = inputs.find((t): t is Tensor => t instanceof Tensor);
    const dtype = like?.dtype ?? this.floatType;
    const ts = inputs.map((t) => (t instanceof Tensor ? this.#own(t) : this.scalar(t, dtype)));
    const def = opDef(op);
    const { shape, dtype: outType } = def.infer(ts, attrs);
    return this.#add(op, ts, attrs, shape, outType);
  }

  #own(t: Tensor): Tensor {
    if (t.graph !== this) throw new Error(`tensor #${t.id} (${t.op}) belongs to another graph`);
    return t;
  }

  #add(op: string, inputs: Tensor[], attrs: Attrs, shape: number[], dtype: DType): Tensor {
    const t = new Tensor(this, this.nodes.length, op, inputs, attrs, shape, dtype);
    this.nodes.push(t);
    return t;
  }
}

/** Converts host data to the typed array of a dtype, checking integer data for bigint types. */
export function toTypedArray(data: ConstData | number[], dtype: DType): ConstData {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, Number);
    case "float64":
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>, Number);
    case "int32":
      return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>, Number);
    case "int64":
      return data instanceof BigInt64Array
        ? data
        : BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(v));
    case "bool":
      return data instanceof Uint8Array
        ? data
        : Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
  }
}
