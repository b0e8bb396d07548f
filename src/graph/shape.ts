/** Shape arithmetic shared by the ops: broadcasting, axis normalisation and size. */

/** A static tensor shape. Every dimension is known when the graph is built. */
export type Shape = readonly number[];

/** Raised when an op's inputs have shapes or types it cannot accept; names the op and the shapes. */
export class ShapeError extends Error {
  /** Builds the message from the op name, the inputs' shapes and what is wrong. */
  constructor(op: string, shapes: readonly Shape[], problem: string) {
    super(`${op}: ${problem} (input shapes ${shapes.map(fmtShape).join(", ")})`);
    this.name = "ShapeError";
  }
}

/** Formats a shape as `[2, 3]`. */
export function fmtShape(s: Shape): string {
  return `[${s.join(", ")}]`;
}

/** Number of elements of a shape. */
export function sizeOf(s: Shape): number {
  return s.reduce((a, b) => a * b, 1);
}

/** NumPy-style broadcast of two shapes, or null when they are incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Maps a possibly negative axis into [0, rank), throwing a ShapeError when it is out of range. */
export function normAxis(op: string, axis: number, shape: Shape): number {
  const r = shape.length;
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) throw new ShapeError(op, [shape], `axis ${axis} is out of range for rank ${r}`);
  return a;
}

/** True when two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
