/** The op registry: each op's shape rule, ONNX lowering and vector-Jacobian product. */
import type { Attrs, DType, Tensor } from "./tensor.ts";
import type { Shape } from "./shape.ts";

/** What the ONNX exporter gives an op to emit its nodes. */
export interface EmitContext {
  /** The ONNX value name of a graph tensor. */
  name(t: Tensor): string;
  /** A fresh ONNX value name for intermediate values. */
  fresh(hint: string): string;
  /** Adds an ONNX node. Attribute values: number (int unless `floats` lists the name), number[], string, tensor. */
  node(opType: string, inputs: string[], outputs: string[], attrs?: Attrs, floats?: string[]): void;
  /** Adds a node of ONNX Runtime's contrib domain `com.microsoft` (e.g. FastGelu). */
  contribNode(opType: string, inputs: string[], outputs: string[]): void;
  /** Adds an int64 initializer and returns its name (for axes, shapes, pads...). */
  int64s(values: readonly number[], hint?: string): string;
  /** Adds a ConstantOfShape node of zeros of `shape` and `dtype` and returns its name. */
  zeros(shape: readonly number[], dtype: DType): string;
}

/** The definition of one op. */
export interface OpDef {
  /** Computes the output shape and dtype, throwing a ShapeError for inputs the op cannot take. */
  infer(inputs: readonly Tensor[], attrs: Attrs): { shape: number[]; dtype: DType };
  /** Emits the ONNX nodes computing `out` into ctx.name(out). */
  emit(out: Tensor, ctx: EmitContext): void;
  /** Returns the gradient with respect to each input, given the gradient `g` of the output (null: none). */
  vjp?(out: Tensor, g: Tensor): (Tensor | null)[];
}

const ops = new Map<string, OpDef>();

/** Registers an op under its name. */
export function defineOp(name: string, def: OpDef): void {
  if (ops.has(name)) throw new Error(`op ${name} is defined twice`);
  ops.set(name, def);
}

/** Looks up an op. */
export function opDef(name: string): OpDef {
  const d = ops.get(name);
  if (!d) throw new Error(`unknown op "${name}"`);
  return d;
}

/** Names of all registered ops. */
export function opNames(): string[] {
  return [...ops.keys()];
}

/** A helper for shape rules of ops that keep their input's shape. */
export function sameAs(t: Tensor, dtype: DType = t.dtype): { shape: number[]; dtype: DType } {
  return { shape: [...t.shape] as number[], dtype };
}

/** Reads a required numeric-array attribute. */
export function intsAttr(attrs: Attrs, key: string): number[] {
  const v = attrs[key];
  if (!Array.isArray(v)) throw new Error(`attribute ${key} must be a number array`);
  return v as number[];
}

export type { Shape };
