/**
 * Max-pool gradients in ops that WebGPU runs. The graphs route a non-overlapping max pool's gradient with
 * `MaxPool`'s Indices output and `MaxUnpool` (src/graph/ops/nn.ts), 3-4x faster on the CPU than elementwise
 * window masks; onnxruntime-web's WebGPU provider takes MaxPool but not its Indices output, and fails at
 * run time. This rewrite, for the webgpu backend, spells each such pair out: the windows laid out as
 * [n, c, ho, wo, k * k], a mask of the entries equal to the pooled maximum, only its first 1 kept (a
 * running sum equal to 1), times the gradient, laid back out and zero-padded over rows and columns past the
 * last window. Same values: the first maximum in row-major order, as ORT's indices point.
 */
import { ELEM, int64Values, intsOf, type NodeAttr, NodeEmitter, onnx } from "./onnx_edit.ts";

/**
 * `model` (serialized ONNX) with each float32 `MaxUnpool` whose indices come from a 2-D `MaxPool` of equal
 * kernel and stride replaced by elementwise ops, and that `MaxPool` left with its pooled output only; the
 * same bytes come back when nothing matches.
 */
export function spellOutMaxUnpool(model: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!graph.node.some((n: any) => n.opType === "MaxUnpool" && !n.domain)) return model;
  const initializers = new Map<string, any>(graph.initializer.map((t: any) => [t.name, t]));
  const poolOf = new Map<string, any>();
  for (const node of graph.node) {
    if (node.opType === "MaxPool" && !node.domain && node.output.length === 2) {
      poolOf.set(node.output[1], node);
    }
  }
  const emitter = new NodeEmitter("unpool");
  const nodes: unknown[] = [];
  const replaced = new Set<any>();
  const unpools = new Set<any>();
  for (const node of graph.node) {
    const pool = node.opType === "MaxUnpool" && !node.domain ? poolOf.get(node.input[1]) : undefined;
    const shape = pool && int64Values(initializers.get(node.input[2]));
    const routed = pool && shape && spelledOut(emitter, pool, node, shape);
    if (routed) {
      nodes.push(...routed);
      replaced.add(pool);
      unpools.add(node);
    } else {
      nodes.push(node);
    }
  }
  if (replaced.size === 0) return model;
  for (const pool of replaced) {
    if (graph.node.some((n: any) => !unpools.has(n) && n.input.includes(pool.output[1]))) {
      throw new Error(
        `spellOutMaxUnpool: the indices of ${pool.name} are also read by a node it cannot rewrite`,
      );
    }
    pool.output = [pool.output[0]];
  }
  graph.node = nodes;
  graph.initializer.push(...emitter.initializers);
  return onnx.ModelProto.encode(proto).finish();
}

/** The elementwise nodes that compute `unpool`'s output, or undefined where the windows overlap. */
function spelledOut(emitter: NodeEmitter, pool: any, unpool: any, shape: number[]): unknown[] | undefined {
  const a = intsOf(pool);
  const kernel = a.get("kernel_shape") ?? [];
  const strides = a.get("strides") ?? [];
  const all = (name: string, value: number) => a.get(name)?.every((x) => x === value) ?? true;
  const plain = !a.has("auto_pad") && all("pads", 0) && all("dilations", 1) && all("ceil_mode", 0) &&
    all("storage_order", 0);
  const [k] = kernel;
  if (
    shape.length !== 4 || kernel.length !== 2 || kernel[1] !== k || strides.length !== 2 ||
    strides.some((s) => s !== k) || !plain
  ) {
    return undefined;
  }
  const [n, c, h, w] = shape;
  const [ho, wo] = [Math.floor(h / k), Math.floor(w / k)];
  const nodes: unknown[] = [];
  // One node of the chain: its output gets a fresh name, or `out` for the last one.
  const step = (opType: string, inputs: string[], attrs: NodeAttr[] = [], out = emitter.fresh(opType)) => {
    nodes.push(emitter.node(opType, inputs, [out], attrs));
    return out;
  };
  const swapWindowAxes = [{ name: "perm", ints: [0, 1, 2, 4, 3, 5] }];
  const toFloat = [{ name: "to", i: ELEM.FLOAT }];
  const column = emitter.ints([n, c, ho, wo, 1]);
  // The windows as [n, c, ho, wo, k * k] in row-major window order.
  const covered = step("Slice", [
    pool.input[0],
    emitter.ints([0, 0]),
    emitter.ints([ho * k, wo * k]),
    emitter.ints([2, 3]),
  ]);
  const split = step("Reshape", [covered, emitter.ints([n, c, ho, k, wo, k])]);
  const windows = step("Reshape", [
    step("Transpose", [split], swapWindowAxes),
    emitter.ints([n, c, ho, wo, k * k]),
  ]);
  // 1 at each window's first entry equal to its maximum.
  const hit = step("Cast", [step("Equal", [windows, step("Reshape", [pool.output[0], column])])], toFloat);
  const once = step("Cast", [
    step("Equal", [step("CumSum", [hit, emitter.ints([-1], true)]), emitter.float(1)]),
  ], toFloat);
  const routed = step("Mul", [step("Mul", [hit, once]), step("Reshape", [unpool.input[0], column])]);
  // Laid back out, zero over the rows and columns past the last window.
  const map = step(
    "Transpose",
    [step("Reshape", [routed, emitter.ints([n, c, ho, wo, k, k])])],
    swapWindowAxes,
  );
  const covering = step("Reshape", [map, emitter.ints([n, c, ho * k, wo * k])]);
  step("Pad", [covering, emitter.ints([0, 0, 0, 0, 0, 0, h - ho * k, w - wo * k])], [], unpool.output[0]);
  return nodes;
}
