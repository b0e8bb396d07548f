/** Central finite-difference checks of compiled gradient graphs, run through ONNX Runtime. */
import { exportOnnx, grad, Graph, mul, reduceSum, type Tensor } from "../../src/graph/mod.ts";
import { openBackend } from "../../src/runtime/mod.ts";
import { Program } from "../../src/runtime/program.ts";
import type { HostData } from "../../src/runtime/backend.ts";
import { Rng } from "../../src/trace/seeds.ts";

/** What a gradient-check case builds: the scalar to differentiate and the inputs to check. */
export interface CaseGraph {
  loss: Tensor;
  wrt: Tensor[];
}

/** Options of {@link checkGradients}. */
export interface GradCheckOptions {
  dtype?: "float32" | "float64";
  /** Coordinates sampled per checked input. */
  samples?: number;
  eps?: number;
  /** Pass when |fd - analytic| <= atol + rtol * max(|fd|, |analytic|). */
  rtol?: number;
  atol?: number;
  /** Host data for inputs that must not be random normals (integer indices, positive values...). */
  feeds?: Record<string, HostData>;
  seed?: number;
}

/** A fixed random projection of t to a scalar, so every output element gets a distinct gradient. */
export function probe(t: Tensor, seed = 7): Tensor {
  const rng = new Rng(seed);
  const data = Array.from({ length: t.size }, () => rng.normal());
  return reduceSum(mul(t, t.graph.constant(data, t.shape, t.dtype)));
}

/**
 * Builds the case, compiles loss + gradients, and compares sampled gradient coordinates with central
 * differences of the compiled loss. Returns the worst relative error; throws with details on failure.
 */
export async function checkGradients(
  name: string,
  build: (g: Graph) => CaseGraph,
  options: GradCheckOptions = {},
): Promise<number> {
  const { dtype = "float64", samples = 6, rtol = dtype === "float64" ? 1e-6 : 2e-2, atol = dtype === "float64" ? 1e-8 : 2e-3 } =
    options;
  const eps = options.eps ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const g = new Graph(dtype);
  const { loss, wrt } = build(g);
  const grads = grad(loss, wrt);
  const outputs: Record<string, Tensor> = { loss };
  grads.forEach((t, i) => (outputs[`grad${i}`] = t));
  const full = exportOnnx(outputs);
  const lossOnly = exportOnnx({ loss });
  const backend = await openBackend("native", { threads: 1 });
  const fullProgram = await Program.load(backend, full);
  const lossProgram = await Program.load(backend, lossOnly);
  try {
    const rng = new Rng(options.seed ?? 1);
    const feeds: Record<string, HostData> = {};
    for (const spec of full.inputs) {
      feeds[spec.name] = options.feeds?.[spec.name] ?? randomData(spec.dtype, spec.shape, rng);
    }
    const analytic = await fullProgram.runToHost(feeds);
    const lossAt = async (f: Record<string, HostData>) => Number((await lossProgram.runToHost(f)).loss[0]);
    let worst = 0;
    for (const [i, x] of wrt.entries()) {
      const inputName = x.attrs.name as string;
      const base = feeds[inputName] as Float64Array | Float32Array;
      const gi = analytic[`grad${i}`] as Float64Array | Float32Array;
      for (let s = 0; s < Math.min(samples, base.length); s++) {
        const k = samples >= base.length ? s : rng.int(base.length);
        const plus = base.slice();
        const minus = base.slice();
        plus[k] += eps;
        minus[k] -= eps;
        const fd = ((await lossAt({ ...feeds, [inputName]: plus })) - (await lossAt({ ...feeds, [inputName]: minus }))) /
          (plus[k] - minus[k]);
        const an = gi[k];
        const err = Math.abs(fd - an);
        const scale = Math.max(Math.abs(fd), Math.abs(an));
        if (err > atol + rtol * scale) {
          throw new Error(`${name}: d loss / d ${inputName}[${k}] analytic ${an} vs finite difference ${fd}`);
        }
        worst = Math.max(worst, scale > 0 ? err / scale : err);
      }
    }
    return worst;
  } finally {
    await fullProgram.release();
    await lossProgram.release();
  }
}

function randomData(dtype: string, shape: readonly number[], rng: Rng): HostData {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === "float64") return Float64Array.from({ length: n }, () => rng.normal());
  if (dtype === "float32") return Float32Array.from({ length: n }, () => rng.normal());
  throw new Error(`no default data for ${dtype} input; pass it in options.feeds`);
}
