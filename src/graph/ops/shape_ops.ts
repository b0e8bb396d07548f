/** Ops that move data without arithmetic: Reshape, Transpose, Slice, Pad, Concat, Gather, ScatterAddRows. */
import { defineOp, intsAttr } from "../registry.ts";
import { fmtShape, normAxis, ShapeError, sizeOf } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { cast, gather, pad, reshape, scatterAddRows, slice, transpose } from "../ops.ts";

defineOp("Reshape", {
  infer: ([x], attrs) => {
    const want = intsAttr(attrs, "shape");
    const free = want.filter((d) => d === -1).length;
    const known = sizeOf(want.filter((d) => d !== -1));
    if (free > 1 || want.some((d) => d < -1 || !Number.isInteger(d))) {
      throw new ShapeError("Reshape", [x.shape], `bad target ${fmtShape(want)}`);
    }
    const shape = want.map((d) => (d === -1 ? x.size / known : d));
    if (sizeOf(shape) !== x.size || shape.some((d) => !Number.isInteger(d))) {
      throw new ShapeError("Reshape", [x.shape], `cannot reshape ${x.size} elements to ${fmtShape(want)}`);
    }
    return { shape, dtype: x.dtype };
  },
  emit: (out, ctx) => ctx.node("Reshape", [ctx.name(out.inputs[0]), ctx.int64s(out.shape, "shape")], [ctx.name(out)]),
  vjp: (out, g) => [reshape(g, out.inputs[0].shape)],
});

defineOp("Transpose", {
  infer: ([x], attrs) => {
    const perm = intsAttr(attrs, "perm");
    const ok = perm.length === x.rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!ok) throw new ShapeError("Transpose", [x.shape], `perm [${perm}] is not a permutation of the axes`);
    return { shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  emit: (out, ctx) => ctx.node("Transpose", [ctx.name(out.inputs[0])], [ctx.name(out)], { perm: out.attrs.perm }),
  vjp: (out, g) => {
    const perm = intsAttr(out.attrs, "perm");
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, inv)];
  },
});

/** Normalised slice bounds: for each axis of x, [begin, end) clamped to the dimension. */
function sliceBounds(x: Tensor, starts: number[], ends: number[], axes: number[]): [number, number][] {
  const b: [number, number][] = x.shape.map((d) => [0, d]);
  axes.forEach((a, i) => {
    const ax = normAxis("Slice", a, x.shape);
    const d = x.shape[ax];
    const clamp = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
    b[ax] = [clamp(starts[i]), clamp(ends[i])];
  });
  return b;
}

defineOp("Slice", {
  infer: ([x], attrs) => {
    const [s, e, a] = [intsAttr(attrs, "starts"), intsAttr(attrs, "ends"), intsAttr(attrs, "axes")];
    if (s.length !== e.length || s.length !== a.length) {
      throw new ShapeError("Slice", [x.shape], "starts, ends and axes must have the same length");
    }
    const shape = sliceBounds(x, s, e, a).map(([lo, hi]) => Math.max(0, hi - lo));
    return { shape, dtype: x.dtype };
  },
  emit: (out, ctx) => {
    const a = out.attrs;
    ctx.node("Slice", [
      ctx.name(out.inputs[0]),
      ctx.int64s(intsAttr(a, "starts"), "starts"),
      ctx.int64s(intsAttr(a, "ends"), "ends"),
      ctx.int64s(intsAttr(a, "axes"), "axes"),
    ], [ctx.name(out)]);
  },
  vjp: (out, g) => {
    const x = out.inputs[0];
    const b = sliceBounds(x, intsAttr(out.attrs, "starts"), intsAttr(out.attrs, "ends"), intsAttr(out.attrs, "axes"));
    return [pad(g, [...b.map(([lo]) => lo), ...b.map(([lo, hi], i) => x.shape[i] - lo - Math.max(0, hi - lo))])];
  },
});

defineOp("Pad", {
  infer: ([x], attrs) => {
    const p = intsAttr(attrs, "pads");
    if (p.length !== 2 * x.rank || p.some((v) => v < 0)) {
      throw new ShapeError("Pad", [x.shape], `pads must be ${2 * x.rank} non-negative numbers, got [${p}]`);
    }
    return { shape: x.shape.map((d, i) => d + p[i] + p[i + x.rank]), dtype: x.dtype };
  },
  emit: (out, ctx) => ctx.node("Pad", [ctx.name(out.inputs[0]), ctx.int64s(intsAttr(out.attrs, "pads"), "pads")], [ctx.name(out)]),
  vjp: (out, g) => {
    const x = out.inputs[0];
    const p = intsAttr(out.attrs, "pads");
    return [slice(g, p.slice(0, x.rank), x.shape.map((d, i) => p[i] + d), [...x.shape.keys()])];
  },
});

defineOp("Concat", {
  infer: (xs, attrs) => {
    const first = xs[0];
    if (!first) throw new ShapeError("Concat", [], "needs at least one input");
    const axis = normAxis("Concat", attrs.axis as number, first.shape);
    const ok = xs.every((x) => x.rank === first.rank && x.dtype === first.dtype && x.shape.every((d, i) => i === axis || d === first.shape[i]));
    if (!ok) throw new ShapeError("Concat", xs.map((x) => x.shape), `inputs differ off axis ${axis} or in dtype`);
    const shape = [...first.shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    return { shape, dtype: first.dtype };
  },
  emit: (out, ctx) => {
    const axis = normAxis("Concat", out.attrs.axis as number, out.shape);
    ctx.node("Concat", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)], { axis });
  },
  vjp: (out, g) => {
    const axis = normAxis("Concat", out.attrs.axis as number, out.shape);
    let at = 0;
    return out.inputs.map((x) => {
      const part = slice(g, [at], [at + x.shape[axis]], [axis]);
      at += x.shape[axis];
      return part;
    });
  },
});

function checkIndices(op: string, shapes: Tensor[], indices: Tensor) {
  if (indices.dtype !== "int32" && indices.dtype !== "int64") {
    throw new ShapeError(op, shapes.map((s) => s.shape), `indices must be int32 or int64, got ${indices.dtype}`);
  }
}

defineOp("Gather", {
  infer: ([table, indices]) => {
    checkIndices("Gather", [table, indices], indices);
    if (table.rank < 1) throw new ShapeError("Gather", [table.shape, indices.shape], "table must have rank >= 1");
    return { shape: [...indices.shape, ...table.shape.slice(1)], dtype: table.dtype };
  },
  emit: (out, ctx) => ctx.node("Gather", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)], { axis: 0 }),
  vjp: (out, g) => {
    const [table, indices] = out.inputs;
    return [scatterAddRows(g, indices, table.shape[0]), null];
  },
});

defineOp("ScatterAddRows", {
  infer: ([updates, indices], attrs) => {
    checkIndices("ScatterAddRows", [updates, indices], indices);
    const lead = indices.rank;
    if (updates.rank < lead || indices.shape.some((d, i) => d !== updates.shape[i])) {
      throw new ShapeError("ScatterAddRows", [updates.shape, indices.shape], "updates must start with the indices' shape");
    }
    return { shape: [attrs.rows as number, ...updates.shape.slice(lead)], dtype: updates.dtype };
  },
  // ScatterElements, not ScatterND: ORT's CPU ScatterND splits the updates across the intra-op threads, so
  // two threads may add into the same row at once (a repeated token), losing a sum and making the embedding
  // gradient differ run to run (nanogpt-small at 2 threads did). ScatterElements adds in index order on one
  // thread, which is what ScatterND does at 1 thread: the same sums, bit for bit.
  emit: (out, ctx) => {
    const [updates, indices] = out.inputs;
    const width = out.size / out.shape[0];
    const [idx64, column, idx, flatUpdates, sums] = ["idx64", "column", "idx", "flat_updates", "sums"]
      .map((h) => ctx.fresh(h));
    const zeros = ctx.zeros([out.shape[0], width], updates.dtype);
    ctx.node("Cast", [ctx.name(indices)], [idx64], { to: 7 });
    ctx.node("Reshape", [idx64, ctx.int64s([indices.size, 1], "column")], [column]);
    const rows = ctx.int64s([indices.size, width], "rows");
    ctx.node("Expand", [column, rows], [idx]);
    ctx.node("Reshape", [ctx.name(updates), rows], [flatUpdates]);
    ctx.node("ScatterElements", [zeros, idx, flatUpdates], [sums], { axis: 0, reduction: "add" });
    ctx.node("Reshape", [sums, ctx.int64s(out.shape, "shape")], [ctx.name(out)]);
  },
  vjp: (out, g) => [gather(g, cast(out.inputs[1], "int64")), null],
});

/** Checks a [..., V] tensor and integer indices of its leading shape plus a trailing 1. */
function checkAlongLastAxis(op: string, x: Tensor, indices: Tensor) {
  checkIndices(op, [x, indices], indices);
  const lead = x.shape.slice(0, -1);
  const ok = indices.rank === x.rank && indices.shape[x.rank - 1] === 1 && lead.every((d, i) => d === indices.shape[i]);
  if (!ok) throw new ShapeError(op, [x.shape, indices.shape], "indices must have the input's shape with a last axis of 1");
}

defineOp("TakeAlongLastAxis", {
  infer: ([x, indices]) => {
    checkAlongLastAxis("TakeAlongLastAxis", x, indices);
    return { shape: [...indices.shape], dtype: x.dtype };
  },
  emit: (out, ctx) => ctx.node("GatherElements", out.inputs.map((t) => ctx.name(t)), [ctx.name(out)], { axis: -1 }),
  vjp: (out, g) => {
    const [x, indices] = out.inputs;
    return [out.graph.apply("PutAlongLastAxis", [g, indices], { size: x.shape[x.rank - 1] }), null];
  },
});

defineOp("PutAlongLastAxis", {
  infer: ([values, indices], attrs) => {
    checkIndices("PutAlongLastAxis", [values, indices], indices);
    return { shape: [...values.shape.slice(0, -1), attrs.size as number], dtype: values.dtype };
  },
  emit: (out, ctx) => {
    // Zeros of the output shape with each row's value written at its index (one index per row: no collisions).
    const [values, indices] = out.inputs;
    ctx.node("ScatterElements", [ctx.zeros(out.shape, values.dtype), ctx.name(indices), ctx.name(values)], [ctx.name(out)], { axis: -1 });
  },
  vjp: (out, g) => [out.graph.apply("TakeAlongLastAxis", [g, out.inputs[1]]), null],
});
