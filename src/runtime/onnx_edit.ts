/**
 * Small tools for the load-time rewrites of serialized ONNX models (src/runtime/nchwc.ts,
 * src/runtime/unpool.ts): decoding with onnx-proto, and an emitter of nodes and constants with fresh
 * names that cannot clash with the exporter's.
 */
import onnxProto from "onnx-proto";

/** onnx-proto's generated message classes (ModelProto, NodeProto, TensorProto, ...). */
export const { onnx } = onnxProto as unknown as { onnx: any };

/** ONNX's element type codes used by the rewrites. */
export const ELEM = { FLOAT: 1, INT64: 7 } as const;

/** A node attribute: a list of integers, one integer, or one float. */
export type NodeAttr = { name: string; ints: number[] } | { name: string; i: number } | {
  name: string;
  f: number;
};

/** The attributes of a node by name: integer lists as numbers, single integers as one-element lists. */
export function intsOf(node: any): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const a of node.attribute ?? []) {
    if (a.ints?.length) out.set(a.name, a.ints.map(Number));
    else if (a.type === onnx.AttributeProto.AttributeType.INT) out.set(a.name, [Number(a.i)]);
    else out.set(a.name, []); // a string or tensor attribute (auto_pad, output_shape as tensor): not handled
  }
  return out;
}

/** The values of an int64 initializer (raw or typed storage), or undefined where it is not one. */
export function int64Values(tensor: any): number[] | undefined {
  if (!tensor || tensor.dataType !== ELEM.INT64) return undefined;
  if (tensor.int64Data?.length) return tensor.int64Data.map(Number);
  const raw: Uint8Array | undefined = tensor.rawData;
  if (!raw) return undefined;
  // A copy: onnx-proto decodes into Node Buffers, whose slice() shares the whole pool.
  return Array.from(new BigInt64Array(new Uint8Array(raw).buffer), Number);
}

/** Emits nodes and constants named `_<prefix>_<hint>_<n>`; the constants collect in `initializers`. */
export class NodeEmitter {
  readonly initializers: unknown[] = [];
  #count = 0;

  constructor(readonly prefix: string) {}

  /** A fresh value name. */
  fresh(hint: string): string {
    return `_${this.prefix}_${hint}_${this.#count++}`;
  }

  /** The name of a new int64 initializer holding `values` as a 1-D tensor (or a scalar when `scalar`). */
  ints(values: number[], scalar = false): string {
    const name = this.fresh("c");
    const raw = new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: scalar ? [] : [values.length],
        dataType: ELEM.INT64,
        rawData: raw,
      }),
    );
    return name;
  }

  /** The name of a new float32 scalar initializer. */
  float(value: number): string {
    const name = this.fresh("c");
    const raw = new Uint8Array(Float32Array.of(value).buffer);
    this.initializers.push(onnx.TensorProto.create({ name, dims: [], dataType: ELEM.FLOAT, rawData: raw }));
    return name;
  }

  /** A new node. */
  node(opType: string, input: string[], output: string[], attrs: NodeAttr[] = [], domain = ""): unknown {
    const T = onnx.AttributeProto.AttributeType;
    return onnx.NodeProto.create({
      opType,
      input,
      output,
      domain,
      name: this.fresh(opType),
      attribute: attrs.map((a) =>
        "i" in a ? { ...a, type: T.INT } : "f" in a ? { ...a, type: T.FLOAT } : { ...a, type: T.INTS }
      ),
    });
  }
}
