/**
 * A compiled graph on a backend: an exported ONNX model loaded once, fed and read by value name.
 * Host arrays are wrapped into backend tensors with the shapes the model declares.
 */
import type { Tensor } from "onnxruntime-common";
import type { OnnxModel, ValueSpec } from "../graph/onnx.ts";
import type { Backend, HostData, Session, SessionOptions, TensorType } from "./backend.ts";

/** A feed value: a backend tensor (kept on device between runs) or host data in the declared shape. */
export type Feed = Tensor | HostData;

/** One loaded model and the specs of its inputs and outputs. */
export class Program {
  private constructor(
    readonly backend: Backend,
    readonly session: Session,
    readonly inputs: readonly ValueSpec[],
    readonly outputs: readonly ValueSpec[],
  ) {}

  /** Loads an exported model onto a backend. */
  static async load(backend: Backend, model: OnnxModel, options?: SessionOptions): Promise<Program> {
    const session = await backend.load(model.bytes, options);
    return new Program(backend, session, model.inputs, model.outputs);
  }

  /** Runs the model; host arrays among the feeds are wrapped with their declared shapes. */
  run(feeds: Record<string, Feed>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    const wrapped: Record<string, Tensor> = {};
    for (const spec of this.inputs) {
      const v = feeds[spec.name];
      if (v === undefined) {
        throw new Error(`missing feed "${spec.name}" (shape [${spec.shape}], ${spec.dtype})`);
      }
      wrapped[spec.name] = isHostData(v) ? this.backend.tensor(spec.dtype as TensorType, v, spec.shape) : v;
    }
    return this.session.run(wrapped, fetches);
  }

  /** Runs the model and reads every fetched output back to the host. */
  async runToHost(
    feeds: Record<string, Feed>,
    fetches?: readonly string[],
  ): Promise<Record<string, HostData>> {
    const out = await this.run(feeds, fetches);
    const host: Record<string, HostData> = {};
    for (const [name, t] of Object.entries(out)) host[name] = await this.backend.read(t);
    return host;
  }

  /** Frees the session. */
  release(): Promise<void> {
    return this.session.release();
  }
}

/** Puts `value` in `feeds[name]`, freeing the device tensor it replaces (host arrays are left to the GC). */
export function replaceFeed(backend: Backend, feeds: Record<string, Feed>, name: string, value: Feed): void {
  const old = feeds[name];
  feeds[name] = value;
  if (old !== undefined && !isHostData(old)) backend.dispose(old);
}

function isHostData(v: Feed): v is HostData {
  return ArrayBuffer.isView(v);
}
