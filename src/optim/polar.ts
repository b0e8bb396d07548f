/**
 * Polar factors (the spectral-norm LMO) by quintic Newton-Schulz iterations, in-graph.
 *
 * Each step maps X -> a X + (b A + c A^2) X with A = X X^T, which acts on every singular value s as
 * s -> a s + b s^3 + c s^5 and leaves the singular vectors alone, so after the Frobenius
 * pre-normalisation (all s <= 1) the iteration pushes the singular values towards 1 and X towards U V^T.
 * A tall matrix (rows > cols) is transposed first so that A is the small Gram matrix.
 *
 * - `ns5`: Keller Jordan's coefficients (3.4445, -4.7750, 2.0315) at every step, X0 = G / (||G||_F + 1e-7)
 *   (KellerJordan/Muon muon.py@00ba60d; research/papers.md §A.1). They maximise the slope at 0 and do not
 *   converge to U V^T: after 5 steps the singular values lie roughly in [0.5, 1.5] (f(1) = 0.701).
 * - `polar_express`: per-step coefficients, each divided by 1.01, the last triple repeated after step 8,
 *   X0 = G / (1.01 ||G||_F) (modichirag/GPT-opt gptopt/optim/polar.py@5cdc5b28). It approaches U V^T.
 *   Where G = 0 the division is guarded so the factor is 0 (the reference code would give NaN).
 *
 * The reference implementations run in bfloat16; these graphs run in the graph's float type (float32 or
 * float64). The exact polar factor via an SVD (GPT-opt's `svd` method) is not available in-graph: ONNX has
 * no SVD op; exact SVD-based norms are computed on the host where they are needed.
 */
import { add, div, matmul, mul, reduceSum, sqrt, type Tensor, transposeLast2 } from "../graph/mod.ts";
import { mapStacked } from "./stack.ts";
import { safeDiv } from "./tensor_math.ts";

/** The iterations available in-graph. */
export type PolarMethod = "ns5" | "polar_express";

/** Every {@link PolarMethod}, for option parsing and help. */
export const POLAR_METHODS: readonly PolarMethod[] = ["ns5", "polar_express"];

/** How polar factors are approximated. */
export interface PolarOptions {
  method: PolarMethod;
  /** Number of quintic steps (5 in every reference). */
  steps: number;
}

/** One quintic step's coefficients (a, b, c). */
export type Quintic = readonly [number, number, number];

/** Keller Jordan's NS5 coefficients. */
export const NS5_COEFFICIENTS: Quintic = [3.4445, -4.775, 2.0315];

/** Polar Express coefficients per step, before the 1.01 safety division (GPT-opt polar.py@5cdc5b28). */
export const POLAR_EXPRESS_COEFFICIENTS: readonly Quintic[] = [
  [8.28721201814563, -23.595886519098837, 17.300387312530933],
  [4.107059111542203, -2.9478499167379106, 0.5448431082926601],
  [3.9486908534822946, -2.908902115962949, 0.5518191394370137],
  [3.3184196573706015, -2.488488024314874, 0.51004894012372],
  [2.300652019954817, -1.6689039845747493, 0.4188073119525673],
  [1.891301407787398, -1.2679958271945868, 0.37680408948524835],
  [1.8750014808534479, -1.2500016453999487, 0.3750001645474248],
  [1.875, -1.25, 0.375],
];

/** Polar Express's safety factor: the Frobenius pre-normalisation and every coefficient are divided by it. */
export const POLAR_EXPRESS_SAFETY = 1.01;

/** The (a, b, c) of each step of a method, exactly as the iteration uses them. */
export function polarSchedule(options: PolarOptions): Quintic[] {
  const { method, steps } = options;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new Error(`polar: steps must be a positive integer, got ${steps}`);
  }
  if (method === "ns5") return Array.from({ length: steps }, () => NS5_COEFFICIENTS);
  const last = POLAR_EXPRESS_COEFFICIENTS[POLAR_EXPRESS_COEFFICIENTS.length - 1];
  return Array.from({ length: steps }, (_, i) => {
    const [a, b, c] = POLAR_EXPRESS_COEFFICIENTS[i] ?? last;
    return [a / POLAR_EXPRESS_SAFETY, b / POLAR_EXPRESS_SAFETY, c / POLAR_EXPRESS_SAFETY] as const;
  });
}

/**
 * Approximate polar factors of 2-D matrices. Matrices of one shape (after the transpose-if-tall) are
 * orthogonalised together as one batch.
 */
export function polarFactors(matrices: readonly Tensor[], options: PolarOptions): Tensor[] {
  const schedule = polarSchedule(options);
  for (const m of matrices) {
    if (m.rank !== 2) throw new Error(`polar: needs 2-D matrices, got shape [${m.shape}]`);
  }
  const tall = matrices.map((m) => m.shape[0] > m.shape[1]);
  const wide = matrices.map((m, i) => (tall[i] ? transposeLast2(m) : m));
  const factors = mapStacked(wide, (stack) => iterate(normalise(stack, options.method), schedule));
  return factors.map((f, i) => (tall[i] ? transposeLast2(f) : f));
}

/** The approximate polar factor of one 2-D matrix. */
export function polarFactor(matrix: Tensor, options: PolarOptions): Tensor {
  return polarFactors([matrix], options)[0];
}

/** Divides each matrix of a [b, r, c] stack by its Frobenius norm (plus the method's guard). */
function normalise(x: Tensor, method: PolarMethod): Tensor {
  const fro = sqrt(reduceSum(mul(x, x), [-2, -1], true));
  return method === "ns5" ? div(x, add(fro, 1e-7)) : safeDiv(x, mul(fro, POLAR_EXPRESS_SAFETY));
}

function iterate(x0: Tensor, schedule: readonly Quintic[]): Tensor {
  let x = x0;
  for (const [a, b, c] of schedule) {
    const gram = matmul(x, transposeLast2(x));
    const poly = add(mul(gram, b), mul(matmul(gram, gram), c));
    x = add(mul(x, a), matmul(poly, x));
  }
  return x;
}
