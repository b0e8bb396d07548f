/**
 * Gluon's layer-wise radius t_i = ||g_i||_* / (L0_i + L1_i ||g_i||_*) (Theorem 1 of Riabinin et al.;
 * research/papers.md §A.3) and where each layer's (L0, L1) comes from. The dual norm is that of the
 * direction the LMO is taken of: the gradient itself under the `gluon` preset's beta = 0 (Theorem 1 as
 * stated), the momentum when beta > 0 (free, where the gradient's would cost another Newton-Schulz per
 * spectral layer).
 *
 * Per layer, in order: an entry of a fit file (`--opt.fit path`), the `L0` / `L1` options (applied to
 * every layer), or the role's default from the authors' NanoGPT-124M and CNN fits (§B.5): hidden 70
 * (block median 69.8), embeddings and heads 1.33 (tied wte/lm_head 1.3305), conv kernels 2.84 and
 * biases/gains 3.98 (CNN full batch); L0 = 0 everywhere, so the default radius is 1/L1. Note that the
 * CNN's head fitted 0.04, not 1.33: pass a fit file for CNN runs.
 */
import { add, mul, type Tensor } from "../graph/mod.ts";
import type { ParamSpec, Role } from "../contracts/params.ts";
import { safeDiv } from "./tensor_math.ts";

/** A layer's smoothness constants. */
export interface Smoothness {
  L0: number;
  L1: number;
}

/** Default L1 per role (L0 = 0), from the Gluon authors' fits. */
export const DEFAULT_L1: Record<Role, number> = {
  hidden: 70,
  conv: 2.84,
  embedding: 1.33,
  position: 1.33,
  head: 1.33,
  tied_embedding: 1.33,
  bias: 3.98,
  gain: 3.98,
};

/**
 * Parses a fit file: a JSON array of objects with a layer name under "param" or "layer" (the smoothness
 * CLI writes a numeric "param" index and the name under "layer") and numbers "L0" >= 0 and "L1" > 0.
 */
export function parseSmoothnessFit(text: string, source: string): Map<string, Smoothness> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`fit file ${source} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) {
    throw new Error(`fit file ${source} must hold a JSON array of {"layer", "L0", "L1"} objects`);
  }
  const fits = new Map<string, Smoothness>();
  data.forEach((entry, i) => {
    const e = entry as Record<string, unknown>;
    const name = typeof e?.param === "string" ? e.param : e?.layer;
    const where = `fit file ${source}, entry ${i}`;
    if (typeof name !== "string") {
      throw new Error(`${where}: needs the layer name as a string "param" or "layer"`);
    }
    const { L0, L1 } = e;
    if (typeof L0 !== "number" || !Number.isFinite(L0) || L0 < 0) {
      throw new Error(`${where} (${name}): L0 must be a number >= 0`);
    }
    if (typeof L1 !== "number" || !Number.isFinite(L1) || L1 <= 0) {
      throw new Error(`${where} (${name}): L1 must be a number > 0`);
    }
    fits.set(name, { L0, L1 });
  });
  return fits;
}

/** Reads and parses a fit file. */
export function readSmoothnessFit(path: string): Map<string, Smoothness> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`cannot read fit file ${path}: ${(error as Error).message}`);
  }
  return parseSmoothnessFit(text, path);
}

/** A layer's (L0, L1): its fit entry, else the blanket options, else its role's default. */
export function smoothnessOf(
  spec: ParamSpec,
  fits: ReadonlyMap<string, Smoothness>,
  blanket: { L0: number | null; L1: number | null },
): Smoothness {
  return fits.get(spec.name) ?? { L0: blanket.L0 ?? 0, L1: blanket.L1 ?? DEFAULT_L1[spec.role] };
}

/** t = dual / (L0 + L1 dual) for a layer's dual norm (0 where the dual and L0 are both 0). */
export function gluonRadius(dual: Tensor, smoothness: Smoothness): Tensor {
  return safeDiv(dual, add(mul(dual, smoothness.L1), smoothness.L0));
}
