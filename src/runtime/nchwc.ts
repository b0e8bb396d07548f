/**
 * Convolutions in ONNX Runtime's blocked NCHWc layout for weights that are graph inputs.
 *
 * ORT's CPU provider runs a convolution fastest in its NCHWc form (channels in blocks of 8 with AVX2, 16 with
 * AVX-512), but its own layout transformer rewrites only convolutions whose kernel is a constant, because it
 * reorders the kernel once at load time. A training step feeds its kernels as inputs, so every convolution ran
 * as im2col + GEMM, and every stride-1 input gradient as a ConvTranspose, whose col2im runs on one thread.
 * This rewrite does in the graph what the transformer does at load: the kernel is reordered by a few small
 * nodes each run, the input by `ReorderInput`, the output back by `ReorderOutput`, and a stride-1
 * ConvTranspose becomes the convolution of its flipped, transposed kernel. The values are the same sums in
 * another order (float32 rounding differs; docs/performance.md has the measured gain).
 */
import type { InferenceSession } from "onnxruntime-common";
import type { OrtPackage } from "./backend.ts";
import { ELEM, intsOf, NodeEmitter, onnx } from "./onnx_edit.ts";

/** The domain of ORT's NCHWc kernels. */
const NCHWC_DOMAIN = "com.microsoft.nchwc";

/** Whether `model` has a convolution this rewrite would change (a cheap scan of node types first). */
function hasConvolution(graph: any): boolean {
  return graph.node.some((n: any) => (n.opType === "Conv" || n.opType === "ConvTranspose") && !n.domain);
}

/**
 * `model` (serialized ONNX) with each float32, ungrouped, undilated 2-D Conv without bias whose kernel is a
 * graph input, and each such ConvTranspose of stride 1 without output padding, run as an NCHWc convolution
 * for channel blocks of `block` (what {@link probeNchwcBlock} read). Convolutions with constant kernels are
 * left to ORT's own transformer; the model comes back unchanged (the same bytes) when nothing matches.
 */
export function nchwcConvolutions(model: Uint8Array, block: number): Uint8Array {
  if (!Number.isInteger(block) || block < 2) {
    throw new Error(`nchwcConvolutions: block must be an integer >= 2, got ${block}`);
  }
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!hasConvolution(graph)) return model;
  const inputs = new Map<string, { dims: number[]; elemType: number }>();
  for (const v of graph.input) {
    const t = v.type?.tensorType;
    if (t) {
      inputs.set(v.name, { dims: t.shape.dim.map((d: any) => Number(d.dimValue)), elemType: t.elemType });
    }
  }
  const rewriter = new Rewriter(block);
  const nodes: unknown[] = [];
  let changed = false;
  for (const node of graph.node) {
    const kernel = inputs.get(node.input[1]);
    const replacement = kernel && !node.domain && kernel.elemType === ELEM.FLOAT && kernel.dims.length === 4
      ? (node.opType === "Conv"
        ? rewriter.conv(node, kernel.dims)
        : node.opType === "ConvTranspose"
        ? rewriter.convTranspose(node, kernel.dims)
        : undefined)
      : undefined;
    if (replacement) {
      nodes.push(...replacement);
      changed = true;
    } else {
      nodes.push(node);
    }
  }
  if (!changed) return model;
  graph.node = nodes;
  graph.initializer.push(...rewriter.initializers);
  proto.opsetImport.push({ domain: NCHWC_DOMAIN, version: 1 });
  return onnx.ModelProto.encode(proto).finish();
}

const allEqual = (v: number[] | undefined, x: number) => v === undefined || v.every((d) => d === x);

/** Emits the NCHWc form of convolutions, with fresh names and the constants it needs. */
class Rewriter extends NodeEmitter {
  constructor(readonly block: number) {
    super("nchwc");
  }

  /** The replacement of a Conv, or undefined where it has a bias, groups, dilation or auto_pad. */
  conv(node: any, [cout, cin, kh, kw]: number[]): unknown[] | undefined {
    const a = intsOf(node);
    if (
      node.input.length > 2 || !allEqual(a.get("group"), 1) || !allEqual(a.get("dilations"), 1) ||
      a.has("auto_pad")
    ) {
      return undefined;
    }
    const pads = a.get("pads") ?? [0, 0, 0, 0];
    const strides = a.get("strides") ?? [1, 1];
    if (pads.length !== 4 || strides.length !== 2) return undefined;
    return this.#emit(node.input[0], node.input[1], node.output[0], cout, cin, [kh, kw], pads, strides, []);
  }

  /**
   * The replacement of a stride-1 ConvTranspose: the convolution of its kernel with the channel axes swapped
   * and the spatial axes reversed, padded by kernel - 1 - pad on each side.
   */
  convTranspose(node: any, [cin, cout, kh, kw]: number[]): unknown[] | undefined {
    const a = intsOf(node);
    if (
      node.input.length > 2 || !allEqual(a.get("group"), 1) || !allEqual(a.get("dilations"), 1) ||
      !allEqual(a.get("strides"), 1) || !allEqual(a.get("output_padding"), 0) || a.has("output_shape") ||
      a.has("auto_pad")
    ) {
      return undefined;
    }
    const pads = (a.get("pads") ?? [0, 0, 0, 0]).map((p, i) => (i % 2 === 0 ? kh : kw) - 1 - p);
    if (pads.length !== 4 || pads.some((p) => p < 0)) return undefined;
    const flipped = this.fresh("flipped");
    const swapped = this.fresh("swapped");
    const prelude = [
      this.node("Transpose", [node.input[1]], [swapped], [{ name: "perm", ints: [1, 0, 2, 3] }]),
      this.node("Slice", [
        swapped,
        this.ints([-1, -1]),
        this.ints([-(2 ** 62), -(2 ** 62)]),
        this.ints([2, 3]),
        this.ints([-1, -1]),
      ], [flipped]),
    ];
    return this.#emit(node.input[0], flipped, node.output[0], cout, cin, [kh, kw], pads, [1, 1], prelude);
  }

  #emit(
    x: string,
    w: string,
    y: string,
    cout: number,
    cin: number,
    kernel: number[],
    pads: number[],
    strides: number[],
    prelude: unknown[],
  ): unknown[] | undefined {
    const B = this.block;
    const round = (c: number) => Math.ceil(c / B) * B;
    // Inputs of fewer channels than a block stay NCHW (the kernel then reads them directly, as the
    // transformer arranges it); others are reordered, and must be a multiple of 4 channels (ReorderInput).
    const blockedInput = cin >= B;
    if (blockedInput && cin % 4 !== 0) return undefined;
    const cinPadded = blockedInput ? round(cin) : cin;
    const coutPadded = round(cout);
    const [kh, kw] = kernel;
    const nodes = [...prelude];
    // Kernel [O, I, kh, kw] -> zero-padded [O', I', kh, kw] -> blocked order [O'/B, I'/B, kh, kw, Bi, Bo]
    // (OIHWBiBo), or [O'/B, I, kh, kw, Bo] (OIHWBo) for an NCHW input.
    const padded = this.fresh("w_padded");
    nodes.push(
      this.node("Pad", [
        w,
        this.ints([0, 0, 0, 0, coutPadded - cout, cinPadded - cin, 0, 0]),
      ], [padded]),
    );
    const split = this.fresh("w_split");
    const order = this.fresh("w_order");
    const reordered = this.fresh("w_nchwc");
    if (blockedInput) {
      nodes.push(
        this.node("Reshape", [
          padded,
          this.ints([coutPadded / B, B, cinPadded / B, B, kh, kw]),
        ], [split]),
      );
      nodes.push(
        this.node("Transpose", [split], [order], [{ name: "perm", ints: [0, 2, 4, 5, 3, 1] }]),
      );
    } else {
      nodes.push(
        this.node("Reshape", [padded, this.ints([coutPadded / B, B, cin, kh, kw])], [
          split,
        ]),
      );
      nodes.push(
        this.node("Transpose", [split], [order], [{ name: "perm", ints: [0, 2, 3, 4, 1] }]),
      );
    }
    nodes.push(
      this.node("Reshape", [order, this.ints([coutPadded, cinPadded, kh, kw])], [
        reordered,
      ]),
    );
    let input = x;
    if (blockedInput) {
      input = this.fresh("x_nchwc");
      nodes.push(this.node("ReorderInput", [x], [input], [], NCHWC_DOMAIN));
    }
    const out = this.fresh("y_nchwc");
    nodes.push(this.node("Conv", [input, reordered], [out], [
      { name: "kernel_shape", ints: kernel },
      { name: "pads", ints: pads },
      { name: "strides", ints: strides },
    ], NCHWC_DOMAIN));
    nodes.push(
      this.node("ReorderOutput", [out], [y], [{ name: "channels", i: cout }], NCHWC_DOMAIN),
    );
    return nodes;
  }
}

/**
 * The channel block of ORT's NCHWc kernels in this build on this CPU (8 with AVX2, 16 with AVX-512), read
 * from the shape `ReorderInput` gives a 4-channel tensor; 0 where the build has no NCHWc kernels (wasm, or a
 * CPU without them), so that nothing is rewritten.
 */
export function probeNchwcBlock(ort: OrtPackage): Promise<number> {
  let probe = probes.get(ort);
  if (!probe) probes.set(ort, probe = readNchwcBlock(ort));
  return probe;
}

/** One probe per ORT package and process: the block is a property of the build and the CPU. */
const probes = new Map<OrtPackage, Promise<number>>();

async function readNchwcBlock(ort: OrtPackage): Promise<number> {
  const input = onnx.ValueInfoProto.create({
    name: "x",
    type: {
      tensorType: { elemType: ELEM.FLOAT, shape: { dim: [1, 4, 1, 1].map((d) => ({ dimValue: d })) } },
    },
  });
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }, { domain: NCHWC_DOMAIN, version: 1 }],
    graph: onnx.GraphProto.create({
      name: "nchwc-probe",
      node: [
        onnx.NodeProto.create({ opType: "ReorderInput", input: ["x"], output: ["y"], domain: NCHWC_DOMAIN }),
      ],
      input: [input],
      output: [onnx.ValueInfoProto.create({ name: "y", type: { tensorType: { elemType: ELEM.FLOAT } } })],
    }),
  })).finish();
  let session: InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
    const { y } = await session.run({ x: new ort.Tensor("float32", new Float32Array(4), [1, 4, 1, 1]) });
    const block = y.dims[1];
    return Number.isInteger(block) && block >= 4 ? block : 0;
  } catch {
    return 0;
  } finally {
    await session?.release();
  }
}

/** The environment variable that turns the rewrite off (`off`) for an A/B or a diagnosis; `on` is the default. */
export const NCHWC_ENV = "LMO_NCHWC";

/** Whether {@link NCHWC_ENV} leaves the rewrite on; throws on a value other than `on` or `off`. */
export function nchwcFromEnv(): boolean {
  const value = Deno.env.get(NCHWC_ENV) ?? "on";
  if (value !== "on" && value !== "off") {
    throw new Error(`${NCHWC_ENV}=${value} is not a setting; use on or off`);
  }
  return value === "on";
}
