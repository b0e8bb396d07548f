/**
 * Live trajectory-smoothness measurement (papers.md B.2), as a training-loop observer. Every K steps it
 * keeps (X^k, g^k) and at step k+1 computes, per parameter i, with raw mini-batch gradients:
 *
 *   L_hat_i = ||g_i^{k+1} - g_i^k||_(i)* / ||X_i^{k+1} - X_i^k||_(i),   and   ||g_i^{k+1}||_(i)*,
 *
 * exactly (singular values) and with the authors' NS5 nuclear norm. The values land in the layers table on
 * row k+1: l_hat, l_hat_ns, grad_dual_next, grad_dual_ns.
 */
import type { ParamSpec } from "../contracts/params.ts";
import type { StepObserver } from "../contracts/observer.ts";
import type { Geometry } from "../contracts/job_config.ts";
import { type LayerNorms, layerNorms } from "./norms.ts";

interface Snapshot {
  step: number;
  params: Record<string, Float32Array>;
  grads: Record<string, Float32Array>;
}

/** One parameter's measurement of a (k, k+1) pair. */
export interface PairMeasurement {
  l_hat: number;
  l_hat_ns: number;
  grad_dual_next: number;
  grad_dual_ns: number;
}

/** Measures one pair for one parameter in the given norms. */
export function measurePair(
  norms: LayerNorms,
  x0: Float32Array,
  g0: Float32Array,
  x1: Float32Array,
  g1: Float32Array,
): PairMeasurement {
  const dx = new Float64Array(x1.length);
  const dg = new Float64Array(g1.length);
  for (let j = 0; j < x1.length; j++) {
    dx[j] = x1[j] - x0[j];
    dg[j] = g1[j] - g0[j];
  }
  const step = norms.primal(dx);
  const diff = norms.duals(dg);
  const next = norms.duals(g1);
  return { l_hat: diff.exact / step, l_hat_ns: diff.ns / step, grad_dual_next: next.exact, grad_dual_ns: next.ns };
}

/** The observer for `--smoothness-every K` (K >= 1) in a geometry. */
export class SmoothnessObserver implements StepObserver {
  #stored: Snapshot | null = null;
  #ready = new Map<number, Record<string, Record<string, number | null>>>();
  readonly #norms: Map<string, LayerNorms>;

  /** @param every K: one pair (k, k+1) for every k with (k+1) % K == 0 */
  constructor(readonly specs: readonly ParamSpec[], readonly every: number, readonly geometry: Geometry = "scion") {
    if (!Number.isInteger(every) || every < 1) throw new Error(`--smoothness-every must be a positive integer, got ${every}`);
    this.#norms = new Map(specs.map((s) => [s.name, layerNorms(s, geometry)]));
  }

  /** Steps k with (k+1) % K == 0 and the steps right after them. */
  wants(step: number): boolean {
    return (step + 1) % this.every === 0 || (step > 0 && step % this.every === 0);
  }

  /** Stores the first step of a pair; measures when the second arrives. */
  observe(step: number, params: Record<string, Float32Array>, grads: Record<string, Float32Array>): void {
    const prev = this.#stored;
    if (prev && prev.step === step - 1) {
      const rows: Record<string, Record<string, number | null>> = {};
      for (const s of this.specs) {
        rows[s.name] = { ...measurePair(this.#norms.get(s.name)!, prev.params[s.name], prev.grads[s.name], params[s.name], grads[s.name]) };
      }
      this.#ready.set(step, rows);
    }
    this.#stored = (step + 1) % this.every === 0 ? { step, params, grads } : null;
  }

  /** The measurements completed at this step, keyed by parameter name. */
  layerColumns(step: number): Record<string, Record<string, number | null>> | undefined {
    const rows = this.#ready.get(step);
    this.#ready.delete(step);
    return rows;
  }
}
