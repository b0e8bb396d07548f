/**
 * Gradient accumulation: before each optimizer step, the accumulation graph runs on the step's first
 * `accum - 1` micro-batches, summing their gradients and losses into buffers that stay on the device; the
 * fused step graph then takes the last micro-batch and those sums and applies one update (./step.ts).
 */
import type { Backend, HostData } from "../runtime/backend.ts";
import { type Feed, Program, replaceFeed } from "../runtime/program.ts";
import { batchInput, next, type StepGraph } from "./step.ts";

/** A stream of micro-batches (host arrays keyed by the workload's batch names). */
export interface MicroBatches {
  next(): Record<string, HostData>;
}

/** Runs a step graph's accumulation graph over the micro-batches that precede its last one. */
export class Accumulator {
  /** The sums' input names and the zeros each starts a step from. */
  readonly #zeros: Map<string, HostData>;

  private constructor(readonly program: Program, readonly backend: Backend, readonly micro: number) {
    this.#zeros = new Map(
      program.outputs.map((o) => {
        const input = o.name.slice(next("").length);
        const size = o.shape.reduce((a, b) => a * b, 1);
        return [input, o.dtype === "float64" ? new Float64Array(size) : new Float32Array(size)];
      }),
    );
  }

  /** Loads the accumulation graph of `stepGraph`, or returns null when it takes one micro-batch a step. */
  static async load(
    backend: Backend,
    stepGraph: Pick<StepGraph, "accum" | "accumulate">,
  ): Promise<Accumulator | null> {
    if (!stepGraph.accumulate) return null;
    const program = await Program.load(backend, stepGraph.accumulate, { keepOutputsOnDevice: true });
    return new Accumulator(program, backend, stepGraph.accum - 1);
  }

  /**
   * Sums the gradients and losses of the next `accum - 1` micro-batches of `batches` at the parameters in
   * `feeds`, leaving the sums in `feeds` under the step graph's accumulation inputs.
   */
  async run(feeds: Record<string, Feed>, batches: MicroBatches): Promise<void> {
    this.reset(feeds);
    for (let m = 0; m < this.micro; m++) {
      for (const [k, v] of Object.entries(batches.next())) feeds[batchInput(k)] = v;
      const out = await this.program.run(feeds);
      for (const input of this.#zeros.keys()) replaceFeed(this.backend, feeds, input, out[next(input)]);
    }
  }

  /** Frees the sums in `feeds` and puts zeros in their place. */
  reset(feeds: Record<string, Feed>): void {
    for (const [input, zeros] of this.#zeros) replaceFeed(this.backend, feeds, input, zeros);
  }

  /** Frees the session. */
  release(): Promise<void> {
    return this.program.release();
  }
}
