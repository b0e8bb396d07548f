/** Export of a graph's outputs to a standard ONNX model (opset 17), built with onnx-proto. */
import onnxProto from "onnx-proto";
import { type EmitContext, opDef } from "./registry.ts";
import type { Attrs, ConstData, DType, Tensor } from "./tensor.ts";
import { onnxType } from "./ops/elementwise.ts";

const { onnx } = onnxProto as unknown as { onnx: any };

/** The ONNX opset the exporter targets. */
export const OPSET = 17;

/** ONNX Runtime's contrib-op domain (fused kernels that every ORT build, CPU, wasm and WebGPU, ships). */
const CONTRIB_DOMAIN = "com.microsoft";

/** A named value of an exported model. */
export interface ValueSpec {
  name: string;
  shape: number[];
  dtype: DType;
}

/** An exported model: its bytes and the inputs it needs and outputs it produces, in order. */
export interface OnnxModel {
  bytes: Uint8Array;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  /** Number of ONNX nodes (a size indicator for logs and benchmarks). */
  nodeCount: number;
}

/** A tensor-valued attribute (for ConstantOfShape and Constant). */
export interface TensorAttr {
  dims: number[];
  dataType: number;
  values?: ConstData;
}

/**
 * Exports the subgraph computing `outputs` (name -> tensor). Inputs are the graph inputs it reaches,
 * constants become initializers, and each output gets its own name (which must differ from every input name).
 */
export function exportOnnx(outputs: Record<string, Tensor>, name = "lmo-bench"): OnnxModel {
  const roots = Object.values(outputs);
  if (roots.length === 0) throw new Error("exportOnnx: no outputs given");
  const graph = roots[0].graph;
  const live = reachable(graph.nodes, roots);
  const inputs = live.filter((t) => t.op === "Input");
  const inputNames = new Set(inputs.map((t) => t.attrs.name as string));
  for (const out of Object.keys(outputs)) {
    if (inputNames.has(out)) {
      throw new Error(`exportOnnx: output "${out}" has the same name as an input; rename one`);
    }
  }

  const nodes: unknown[] = [];
  const initializers: unknown[] = [];
  let counter = 0;
  let usesContrib = false;
  // A computed tensor that is an output takes the output's name, so ORT writes it in place: an Identity per
  // output copied every parameter and state tensor on every step. Inputs, constants and a second name of
  // the same tensor still go through an Identity.
  const outputNameOf = new Map<Tensor, string>();
  for (const [outName, t] of Object.entries(outputs)) {
    const internal = /^t\d+$/.test(outName) || outName.startsWith("_"); // the names below use these forms
    if (t.op !== "Input" && t.op !== "Const" && !internal && !outputNameOf.has(t)) {
      outputNameOf.set(t, outName);
    }
  }
  const ctx: EmitContext = {
    name: (t) => (t.op === "Input" ? (t.attrs.name as string) : outputNameOf.get(t) ?? `t${t.id}`),
    fresh: (hint) => `_${hint}_${counter++}`,
    node: (opType, ins, outs, attrs = {}, floats = []) => {
      nodes.push({
        opType,
        input: ins,
        output: outs,
        name: `n${nodes.length}_${opType}`,
        attribute: encodeAttrs(attrs, floats),
      });
    },
    contribNode: (opType, ins, outs) => {
      usesContrib = true;
      nodes.push({
        opType,
        input: ins,
        output: outs,
        name: `n${nodes.length}_${opType}`,
        domain: CONTRIB_DOMAIN,
      });
    },
    int64s: (values, hint = "c") => {
      const n = ctx.fresh(hint);
      initializers.push(
        tensorProto(n, [values.length], onnxType("int64"), BigInt64Array.from(values, (v) => BigInt(v))),
      );
      return n;
    },
    zeros: (shape, dtype) => {
      const n = ctx.fresh("zeros");
      const value = { dims: [1], dataType: onnxType(dtype) };
      ctx.node("ConstantOfShape", [ctx.int64s(shape, "shape")], [n], { value });
      return n;
    },
  };
  for (const t of live) {
    if (t.op === "Input") continue;
    if (t.op === "Const") {
      initializers.push(
        tensorProto(ctx.name(t), t.shape as number[], onnxType(t.dtype), t.attrs.values as ConstData),
      );
      continue;
    }
    opDef(t.op).emit(t, ctx);
  }
  for (const [outName, t] of Object.entries(outputs)) {
    if (outputNameOf.get(t) !== outName) ctx.node("Identity", [ctx.name(t)], [outName]);
  }

  const spec = (n: string, t: Tensor): ValueSpec => ({ name: n, shape: [...t.shape], dtype: t.dtype });
  const inputSpecs = inputs.map((t) => spec(t.attrs.name as string, t));
  const outputSpecs = Object.entries(outputs).map(([n, t]) => spec(n, t));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "lmo-bench",
    opsetImport: [
      { domain: "", version: OPSET },
      ...(usesContrib ? [{ domain: CONTRIB_DOMAIN, version: 1 }] : []),
    ],
    graph: onnx.GraphProto.create({
      name,
      node: nodes,
      initializer: initializers,
      input: inputSpecs.map(valueInfo),
      output: outputSpecs.map(valueInfo),
    }),
  });
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    inputs: inputSpecs,
    outputs: outputSpecs,
    nodeCount: nodes.length,
  };
}

/** The nodes the roots depend on, in topological (id) order. */
function reachable(all: readonly Tensor[], roots: readonly Tensor[]): Tensor[] {
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push(...t.inputs);
  }
  return all.filter((t) => seen.has(t.id));
}

function valueInfo(v: ValueSpec): unknown {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: {
      tensorType: { elemType: onnxType(v.dtype), shape: { dim: v.shape.map((d) => ({ dimValue: d })) } },
    },
  });
}

function tensorProto(name: string, dims: number[], dataType: number, values?: ConstData): unknown {
  const raw = values
    ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice()
    : undefined;
  const zero = new Uint8Array(dataType === 11 || dataType === 7 ? 8 : dataType === 9 ? 1 : 4);
  return onnx.TensorProto.create({ name, dims, dataType, rawData: raw ?? zero });
}

const A = () => onnx.AttributeProto.AttributeType;

function encodeAttrs(attrs: Attrs, floats: readonly string[]): unknown[] {
  return Object.entries(attrs).map(([name, v]) => {
    const isFloat = floats.includes(name);
    if (typeof v === "number") {
      return isFloat ? { name, type: A().FLOAT, f: v } : { name, type: A().INT, i: v };
    }
    if (typeof v === "string") return { name, type: A().STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) {
      return isFloat ? { name, type: A().FLOATS, floats: v } : { name, type: A().INTS, ints: v };
    }
    const t = v as TensorAttr;
    return { name, type: A().TENSOR, t: tensorProto("", t.dims, t.dataType, t.values) };
  });
}
