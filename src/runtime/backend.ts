/**
 * The Backend interface: one way to load and run ONNX models on onnxruntime-node (`native`),
 * onnxruntime-web's wasm EP (`wasm`) and its WebGPU EP (`webgpu`), plus the machinery the three
 * implementations share. Each ORT package (and each onnxruntime-web bundle) brings its own `Tensor`
 * class, so tensors are made through the backend that will consume them.
 */
import type { InferenceSession, Tensor } from "onnxruntime-common";
import type * as OrtCommon from "onnxruntime-common";
import { fileURLToPath } from "node:url";
import { DeadlineError, type DeadlineKind, deadlineSeconds, hangAdvice, withDeadline } from "./watchdog.ts";

/** The execution backends, by the name used on command lines and in run manifests. */
export type BackendName = "native" | "wasm" | "webgpu";

/**
 * ONNX Runtime's graph optimization levels (fusions, constant folding, layout changes). Every run uses
 * "all"; the regression check measures how far the others move a trajectory (docs/design.md).
 */
export type GraphOptimization = "disabled" | "basic" | "extended" | "all";

/** Every {@link GraphOptimization}, weakest first. */
export const GRAPH_OPTIMIZATIONS: readonly GraphOptimization[] = ["disabled", "basic", "extended", "all"];

/** Checks that `value` is one of `choices`, or throws "unknown <what> ...; use one of: ..." listing them. */
export function parseChoice<T extends string>(value: string, choices: readonly T[], what: string): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new Error(`unknown ${what} "${value}"; use one of: ${choices.join(", ")}`);
}

/** Element types a backend tensor may hold. */
export type TensorType = "float32" | "float64" | "int32" | "int64";

/** Host arrays matching {@link TensorType}, in the same order. */
export type HostData = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** What ran a job: recorded in every run manifest. */
export interface BackendInfo {
  name: BackendName;
  /** The npm entry point that was imported, e.g. "onnxruntime-web/webgpu". */
  ortPackage: string;
  ortVersion: string;
  /** Intra-op threads (native) or wasm threads (wasm, webgpu) actually in use. */
  threads: number;
  /** ORT's graph optimization level of every session. */
  graphOptimization: GraphOptimization;
  /** Whether the intra-op workers spin while they wait (native only; src/runtime/spin.ts). */
  spinning?: boolean;
  /** Whether the process's malloc keeps freed memory for the next step (native only; src/runtime/heap.ts). */
  retainsFreedMemory?: boolean;
  /**
   * The channel block of the convolutions run in ORT's NCHWc layout (native only, src/runtime/nchwc.ts): 8 with
   * AVX2, 16 with AVX-512; 0 where they run as ORT's plain Conv and ConvTranspose.
   */
  nchwcBlock?: number;
  /** The WebGPU adapter (webgpu only). */
  adapter?: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallback: boolean;
  };
  deno: string;
  v8: string;
}

/** Per-session options. */
export interface SessionOptions {
  /**
   * Keep outputs in device memory (`gpu-buffer` on webgpu) so they can be fed to the next run without a
   * round trip through the host; {@link Backend.read} downloads them and {@link Backend.dispose} frees
   * them (each run allocates new outputs). No effect on the CPU backends, whose outputs already live in
   * host memory.
   */
  keepOutputsOnDevice?: boolean;
  /** ORT profiling file prefix (native only: onnxruntime-web prints its profile instead of writing it). */
  profilePrefix?: string;
}

/** A loaded model, built once and run many times. */
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; `fetches` limits the outputs computed and returned (default: all). */
  run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<Record<string, Tensor>>;
  /** Frees the session (and flushes its profile when profiling); later runs throw. Idempotent. */
  release(): Promise<void>;
}

/** One execution backend. */
export interface Backend {
  readonly name: BackendName;
  /** Versions, threads and adapter of this backend. */
  info(): BackendInfo;
  /** Creates a session from a serialized ONNX model. */
  load(model: Uint8Array, options?: SessionOptions): Promise<Session>;
  /** A host tensor this backend's sessions accept. */
  tensor(type: TensorType, data: HostData, dims: readonly number[]): Tensor;
  /** A fresh host copy of `t`'s data, downloading device tensors. */
  read(t: Tensor): Promise<HostData>;
  /** Frees `t`'s device memory (no-op on CPU backends); do not use `t` afterwards. */
  dispose(t: Tensor): void;
}

/** Thrown when a backend cannot run in this process; the message says why and what to do. */
export class BackendUnavailableError extends Error {
  override name = "BackendUnavailableError";
}

/** The parts of an ORT package a backend uses. */
export type OrtPackage = Pick<typeof OrtCommon, "InferenceSession" | "Tensor" | "env">;

/** What distinguishes one ORT-based backend from another. */
export interface OrtBackendSpec {
  name: BackendName;
  ort: OrtPackage;
  /** Current info (computed on demand: some fields are settled only by the first session). */
  info(): BackendInfo;
  /** Maps our session options to the package's. */
  sessionOptions(options: SessionOptions): InferenceSession.SessionOptions;
  /** Whether tensors may hold device memory, so that `dispose` must free them. */
  deviceTensors: boolean;
  /** Runs after each session is released (native: gives the freed memory back, src/runtime/heap.ts). */
  afterRelease?: () => void;
  /**
   * Rewrites each model before its session is created (native: NCHWc convolutions, src/runtime/nchwc.ts);
   * `advice` goes into the error when a rewritten model fails to load, saying how to load it unchanged.
   */
  rewriteModel?: { apply: (model: Uint8Array) => Uint8Array; advice: string };
}

const HOST_ARRAY_TYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
} as const;

function isTensorType(type: string): type is TensorType {
  return Object.hasOwn(HOST_ARRAY_TYPES, type);
}

const TENSOR_TYPES = Object.keys(HOST_ARRAY_TYPES).join(", ");

/** Checks that `data` is the host array of `type` and that `dims` hold exactly its length. */
export function checkTensorArgs(type: TensorType, data: HostData, dims: readonly number[]): void {
  if (!isTensorType(type)) {
    throw new Error(`tensor type "${type}" is not supported; use one of ${TENSOR_TYPES}`);
  }
  const arrayType = HOST_ARRAY_TYPES[type];
  if (!(data instanceof arrayType)) {
    throw new Error(
      `a ${type} tensor needs a ${arrayType.name}, got ${data?.constructor?.name ?? typeof data}`,
    );
  }
  if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`tensor dims must be non-negative integers, got [${dims.join(", ")}]`);
  }
  const size = dims.reduce((a, d) => a * d, 1);
  if (size !== data.length) {
    throw new Error(`tensor dims [${dims.join(", ")}] hold ${size} values but the data has ${data.length}`);
  }
}

/**
 * Ensures the process may use `descriptor`, prompting where Deno can (a terminal), or throws a
 * {@link BackendUnavailableError} that names the missing flag.
 */
export function requirePermission(
  backend: BackendName,
  descriptor: Deno.PermissionDescriptor,
  flag: string,
  purpose: string,
): void {
  const state = Deno.permissions.querySync(descriptor).state;
  if (state === "granted") return;
  if (state === "prompt" && Deno.permissions.requestSync(descriptor).state === "granted") return;
  throw new BackendUnavailableError(
    `the ${backend} backend needs ${flag} to ${purpose}; run with ${flag} or -A (the deno tasks pass -A)`,
  );
}

/**
 * The root folder of an ORT package whose entry point lives in its `dist/` folder, resolved through
 * deno.json's import map; undefined when Deno serves it from outside the file system.
 */
export function ortPackageRoot(specifier: string): string | undefined {
  const url = new URL("..", import.meta.resolve(specifier));
  return url.protocol === "file:" ? fileURLToPath(url) : undefined;
}

/** The error for an ORT package that failed to import, with `advice` on what to do. */
export function importFailure(
  backend: BackendName,
  pkg: string,
  error: unknown,
  advice: string,
): BackendUnavailableError {
  return new BackendUnavailableError(
    `the ${backend} backend could not load ${pkg}: ${errorMessage(error)}. ${advice}`,
    { cause: error },
  );
}

/**
 * Session options shared by the two onnxruntime-web backends. Rejects `profilePrefix`: onnxruntime-web
 * prints its profile instead of writing the file, so only the native backend honours it.
 */
export function webSessionOptions(
  executionProvider: "wasm" | "webgpu",
  options: SessionOptions,
  graphOptimization: GraphOptimization,
): InferenceSession.SessionOptions {
  if (options.profilePrefix !== undefined) {
    throw new Error(
      `profilePrefix: onnxruntime-web prints its profile instead of writing a file, so the ${executionProvider} ` +
        "backend cannot honour it; profile with the native backend",
    );
  }
  return {
    executionProviders: [executionProvider],
    executionMode: "sequential",
    graphOptimizationLevel: graphOptimization,
    // Errors only: the WebGPU EP warns on every session that it keeps shape ops on the CPU, by design.
    logSeverityLevel: 3,
  };
}

const claimedThreads = new Map<BackendName, number>();

/**
 * Records that `backend` uses `threads` for the rest of the process. onnxruntime-web reads its thread
 * count once, at its first session, so a second, different count cannot take effect: that throws.
 */
export function claimProcessThreads(backend: BackendName, threads: number): void {
  const claimed = claimedThreads.get(backend);
  if (claimed !== undefined && claimed !== threads) {
    throw new Error(
      `the ${backend} backend already runs with ${claimed} threads in this process and onnxruntime-web ` +
        `cannot change that; open it with threads: ${claimed}, or use a separate process for ${threads} threads`,
    );
  }
  claimedThreads.set(backend, threads);
}

/** Deno and V8 versions for {@link BackendInfo}. */
export function runtimeVersions(): { deno: string; v8: string } {
  return { deno: Deno.version.deno, v8: Deno.version.v8 };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `work` under the deadline of `kind` (watchdog.ts), with advice for `info`'s backend. */
function guarded<T>(info: BackendInfo, kind: DeadlineKind, work: () => Promise<T>): Promise<T> {
  return withDeadline(
    { backend: info.name, kind, seconds: deadlineSeconds(kind), advice: hangAdvice(info) },
    work,
  );
}

class OrtSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #session: InferenceSession | undefined;
  readonly #backend: BackendName;
  readonly #profiling: boolean;
  /** The backend's info while the first run is still ahead (it runs under a deadline), then undefined. */
  #firstRunInfo: (() => BackendInfo) | undefined;
  readonly #afterRelease: (() => void) | undefined;

  constructor(
    backend: BackendName,
    session: InferenceSession,
    profiling: boolean,
    info: () => BackendInfo,
    afterRelease?: () => void,
  ) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    this.#session = session;
    this.#backend = backend;
    this.#profiling = profiling;
    this.#firstRunInfo = info;
    this.#afterRelease = afterRelease;
  }

  async run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    const session = this.#session;
    if (!session) throw new Error(`this ${this.#backend} session was released; load the model again`);
    const run = () => fetches ? session.run(feeds, fetches) : session.run(feeds);
    const info = this.#firstRunInfo;
    this.#firstRunInfo = undefined;
    try {
      const outputs = info ? await guarded(info(), "first run", run) : await run();
      return outputs as Record<string, Tensor>;
    } catch (error) {
      if (error instanceof DeadlineError) throw error;
      throw new Error(`${this.#backend} session run failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  async release(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    if (this.#profiling) session.endProfiling();
    await session.release();
    this.#afterRelease?.();
  }
}

/** A {@link Backend} over one ORT package; the spec supplies what differs between packages. */
export class OrtBackend implements Backend {
  readonly name: BackendName;
  readonly #spec: OrtBackendSpec;

  constructor(spec: OrtBackendSpec) {
    this.name = spec.name;
    this.#spec = spec;
  }

  info(): BackendInfo {
    return this.#spec.info();
  }

  async load(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    if (!(model instanceof Uint8Array) || model.byteLength === 0) {
      throw new Error(`${this.name}: load() needs the serialized ONNX model as a non-empty Uint8Array`);
    }
    const ortOptions = this.#spec.sessionOptions(options);
    const rewrite = this.#spec.rewriteModel;
    const loaded = rewrite?.apply(model) ?? model;
    let session: InferenceSession;
    try {
      session = await guarded(
        this.info(),
        "session creation",
        () => this.#spec.ort.InferenceSession.create(loaded, ortOptions),
      );
    } catch (error) {
      if (error instanceof DeadlineError) throw error;
      const advice = loaded !== model && rewrite ? ` (${rewrite.advice})` : "";
      throw new Error(
        `${this.name}: could not create a session from the ${model.byteLength}-byte model: ${
          errorMessage(error)
        }${advice}`,
        { cause: error },
      );
    }
    return new OrtSession(
      this.name,
      session,
      ortOptions.enableProfiling === true,
      () => this.info(),
      this.#spec.afterRelease,
    );
  }

  tensor(type: TensorType, data: HostData, dims: readonly number[]): Tensor {
    checkTensorArgs(type, data, dims);
    return new this.#spec.ort.Tensor(type, data as Float32Array, dims);
  }

  async read(t: Tensor): Promise<HostData> {
    if (!isTensorType(t.type)) {
      throw new Error(`read: tensor type "${t.type}" is not supported; use one of ${TENSOR_TYPES}`);
    }
    const data = await t.getData() as HostData;
    return data.slice();
  }

  dispose(t: Tensor): void {
    if (this.#spec.deviceTensors) t.dispose();
  }
}
