/** Memory a graph's intermediate values need when run in node order, each freed after its last consumer. */
import type { DType, Tensor } from "./tensor.ts";

/** Bytes per element of each dtype. */
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1 };

/** Ops that ORT runs as views of their input (no new buffer). */
const VIEWS = new Set(["Reshape", "Squeeze", "Unsqueeze", "Identity", "Flatten"]);

/** The bytes of one value. */
export function tensorBytes(t: Tensor): number {
  return t.size * BYTES[t.dtype];
}

/**
 * The peak of the bytes held at once by the computed values everything in `outputs` depends on (inputs
 * excluded), executing nodes in creation order, which is topological, and freeing each value after its last
 * consumer; outputs are held to the end. View ops (Reshape...) allocate nothing and keep their source alive.
 * An estimate of what ONNX Runtime's memory planner needs for one run of the graph.
 */
export function peakLiveBytes(outputs: readonly Tensor[]): number {
  const reachable = new Map<number, Tensor>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (reachable.has(t.id)) continue;
    reachable.set(t.id, t);
    stack.push(...t.inputs);
  }
  const order = [...reachable.values()].sort((a, b) => a.id - b.id);
  const owner = new Map<number, Tensor>();
  const buffer = (t: Tensor): Tensor => owner.get(t.id) ?? t;
  const lastUse = new Map<number, number>();
  for (const t of order) {
    if (VIEWS.has(t.op)) owner.set(t.id, buffer(t.inputs[0]));
    for (const i of t.inputs) lastUse.set(buffer(i).id, t.id);
  }
  for (const o of outputs) lastUse.set(buffer(o).id, Infinity);
  const freeAt = new Map<number, Tensor[]>();
  for (const [id, at] of lastUse) {
    if (at === Infinity) continue;
    const t = reachable.get(id)!;
    freeAt.set(at, [...freeAt.get(at) ?? [], t]);
  }
  let live = 0;
  let peak = 0;
  for (const t of order) {
    if (t.op !== "Input" && !owner.has(t.id)) live += tensorBytes(t);
    peak = Math.max(peak, live);
    for (const f of freeAt.get(t.id) ?? []) if (f.op !== "Input") live -= tensorBytes(f);
  }
  return peak;
}
