/**
 * Max-pool gradients in ops that WebGPU runs. The graphs route a non-overlapping max pool's gradient with
 * `MaxPool`'s Indices output and `MaxUnpool` (src/graph/ops/nn.ts), 3-4x faster on the CPU than elementwise
 * window masks; onnxruntime-web's WebGPU provider takes MaxPool but not its Indices output, and fails at
 * run time. This rewrite, for the webgpu backend, spells each such pair out: the windows laid out as
 * [n, c, ho, wo, k * k], a mask of the entries equal to the pooled maximum, only its first 1 kept (a
 * running sum equal to 1), times the gradient, laid back out and zero-padded over rows and columns past the
 * last window. Same values: the first maximum in row-major order, as ORT's indices point.
 */
import { ELEM, int64Values, intsOf, NodeEmitter, onnx } from "./onnx_edit.ts";

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
  const v = (hint: string) => emitter.fresh(hint);
  const [
    covered,
    split,
    moved,
    windows,
    maxima,
    hitBool,
    hit,
    running,
    onceBool,
    once,
    first,
    gradient,
    routed,
  ] = [
    "covered",
    "split",
    "moved",
    "windows",
    "maxima",
    "hit_bool",
    "hit",
    "running",
    "once_bool",
    "once",
    "first",
    "gradient",
    "routed",
  ].map(v);
  const [routedSplit, routedMoved, routedMap] = ["routed_split", "routed_moved", "routed_map"].map(v);
  const swapWindowAxes = [{ name: "perm", ints: [0, 1, 2, 4, 3, 5] }];
  const cast = [{ name: "to", i: ELEM.FLOAT }];
  const window5 = emitter.ints([n, c, ho, wo, k * k]);
  const column5 = emitter.ints([n, c, ho, wo, 1]);
  return [
    emitter.node("Slice", [
      pool.input[0],
      emitter.ints([0, 0]),
      emitter.ints([ho * k, wo * k]),
      emitter.ints([2, 3]),
    ], [
      covered,
    ]),
    emitter.node("Reshape", [covered, emitter.ints([n, c, ho, k, wo, k])], [split]),
    emitter.node("Transpose", [split], [moved], swapWindowAxes),
    emitter.node("Reshape", [moved, window5], [windows]),
    emitter.node("Reshape", [pool.output[0], column5], [maxima]),
    emitter.node("Equal", [windows, maxima], [hitBool]),
    emitter.node("Cast", [hitBool], [hit], cast),
    emitter.node("CumSum", [hit, emitter.ints([-1], true)], [running]),
    emitter.node("Equal", [running, emitter.float(1)], [onceBool]),
    emitter.node("Cast", [onceBool], [once], cast),
    emitter.node("Mul", [hit, once], [first]),
    emitter.node("Reshape", [unpool.input[0], column5], [gradient]),
    emitter.node("Mul", [first, gradient], [routed]),
    emitter.node("Reshape", [routed, emitter.ints([n, c, ho, wo, k, k])], [routedSplit]),
    emitter.node("Transpose", [routedSplit], [routedMoved], swapWindowAxes),
    emitter.node("Reshape", [routedMoved, emitter.ints([n, c, ho * k, wo * k])], [routedMap]),
    emitter.node("Pad", [routedMap, emitter.ints([0, 0, 0, 0, 0, 0, h - ho * k, w - wo * k])], unpool.output),
  ];
}
