/**
 * Opening execution backends by name. Each backend's ORT package is imported only when that backend is
 * opened or checked, so using `native` never loads onnxruntime-web and vice versa.
 */
import {
  type Backend,
  type BackendName,
  BackendUnavailableError,
  GRAPH_OPTIMIZATIONS,
  type GraphOptimization,
  parseChoice,
} from "./backend.ts";
import type { HeapPolicy } from "./heap.ts";
import { nchwcFromEnv } from "./nchwc.ts";
import { probeBackend } from "./probe.ts";
import { parseSpinPolicy, resolveSpinning, SPIN_ENV, type SpinPolicy } from "./spin.ts";

export type { BackendInfo, HostData, Session, SessionOptions, TensorType } from "./backend.ts";
export {
  type Backend,
  type BackendName,
  BackendUnavailableError,
  GRAPH_OPTIMIZATIONS,
  type GraphOptimization,
};
export { DEADLINE_ENV, DeadlineError } from "./watchdog.ts";
export { SessionCache } from "./session_cache.ts";
export { parseSpinPolicy, SPIN_ENV, SPIN_POLICIES, type SpinPolicy } from "./spin.ts";
export type { HeapPolicy } from "./heap.ts";
export { NCHWC_ENV } from "./nchwc.ts";

/** Every backend name, in order of preference on a CPU machine. */
export const BACKENDS: readonly BackendName[] = ["native", "wasm", "webgpu"];

/** What each backend module provides. */
interface BackendModule {
  checkAvailable(): Promise<void>;
  open(
    threads: number,
    graphOptimization: GraphOptimization,
    spinning: boolean,
    heap: HeapPolicy | undefined,
    nchwc: boolean,
  ): Promise<Backend>;
}

const MODULES: Record<BackendName, () => Promise<BackendModule>> = {
  native: () => import("./native.ts"),
  wasm: () => import("./wasm.ts"),
  webgpu: () => import("./webgpu.ts"),
};

/** Checks that `name` is a backend name, or throws an error that lists the valid ones. */
export function parseBackendName(name: string): BackendName {
  return parseChoice(name, BACKENDS, "backend");
}

/** The most threads a backend may be opened with, per core of this machine. */
export const THREADS_PER_CORE = 4;

/**
 * The most threads a backend may be opened with here: {@link THREADS_PER_CORE} per core. More only
 * oversubscribes the cores, and tens of thousands hang the thread pools' creation.
 */
export function maxThreads(): number {
  return THREADS_PER_CORE * navigator.hardwareConcurrency;
}

function resolveThreads(threads: number | undefined): number {
  if (threads === undefined) return navigator.hardwareConcurrency;
  if (!Number.isInteger(threads) || threads < 1 || threads > maxThreads()) {
    throw new Error(
      `threads must be an integer from 1 to ${maxThreads()} (${THREADS_PER_CORE} per core), got ${threads}`,
    );
  }
  return threads;
}

/** Checks that `level` is an ORT graph optimization level, or throws an error that lists the valid ones. */
export function parseGraphOptimization(level: string): GraphOptimization {
  return parseChoice(level, GRAPH_OPTIMIZATIONS, "graph optimization level");
}

const probed = new Map<BackendName, Promise<void>>();

/**
 * Opens a backend. `threads` defaults to every core (navigator.hardwareConcurrency), `graphOptimization`
 * to "all", `spin` (native only) to the LMO_INTRA_OP_SPIN environment variable or "auto", `heap` (native
 * only: whether malloc keeps freed memory, src/runtime/heap.ts) to "retain" where LMO_HEAP is unset, `nchwc`
 * (native only: convolutions in ORT's blocked layout, src/runtime/nchwc.ts) to LMO_NCHWC, else on. Throws
 * {@link BackendUnavailableError} when the backend cannot run here, with what to do about it.
 * The first open of each backend in a process runs a probe on a tiny graph under a deadline (probe.ts), so
 * a backend that hangs fails here with an error naming it and what to do.
 */
export async function openBackend(
  name: BackendName | string,
  options: {
    threads?: number;
    graphOptimization?: GraphOptimization;
    spin?: SpinPolicy;
    heap?: HeapPolicy;
    nchwc?: boolean;
  } = {},
): Promise<Backend> {
  const backend = parseBackendName(name);
  const threads = resolveThreads(options.threads);
  const level = parseGraphOptimization(options.graphOptimization ?? "all");
  const envSpin = Deno.env.get(SPIN_ENV);
  const policy = options.spin ?? (envSpin ? parseSpinPolicy(envSpin, SPIN_ENV) : "auto");
  const spinning = backend === "native" && await resolveSpinning(policy, threads);
  const nchwc = backend === "native" && (options.nchwc ?? nchwcFromEnv());
  const opened = await (await MODULES[backend]()).open(threads, level, spinning, options.heap, nchwc);
  if (!probed.has(backend)) probed.set(backend, probeBackend(opened));
  await probed.get(backend);
  return opened;
}

/** Which backends can run in this process, with the reason for each that cannot. */
export async function availableBackends(): Promise<
  { name: BackendName; available: boolean; reason?: string }[]
> {
  const results = [];
  for (const name of BACKENDS) {
    try {
      await (await MODULES[name]()).checkAvailable();
      results.push({ name, available: true });
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      results.push({ name, available: false, reason: error.message });
    }
  }
  return results;
}
