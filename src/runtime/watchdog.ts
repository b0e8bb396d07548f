/**
 * Deadlines for the backend work that can hang: a probe on a tiny graph when a backend opens, the
 * creation of every session and the first run of each. A missed deadline ends in an error naming the
 * backend, what it waited for and what to do, instead of a process that prints nothing forever.
 *
 * A hang takes one of two forms, so there are two mechanisms. An asynchronous hang (a WebGPU promise that
 * never settles) leaves the main thread free: a timer there rejects the work with a {@link DeadlineError}.
 * A synchronous hang (onnxruntime-web's wasm thread pool, or onnxruntime-node's binding, blocking the main
 * thread inside the engine) stops every timer of the main thread, so a Worker armed beside the work waits
 * a grace period longer, then prints the same message and ends the process with SIGKILL (a blocked main
 * thread could run no signal handler). The Worker lives only while work is armed, so it never keeps a
 * process alive.
 */
import type { BackendInfo, BackendName } from "./backend.ts";

/** What a deadline guards. */
export type DeadlineKind = "probe" | "session creation" | "first run";

/** Default deadlines in seconds: generous, since a loaded CPU or a software GPU is slow, not hung. */
export const DEFAULT_DEADLINES_S: Readonly<Record<DeadlineKind, number>> = {
  probe: 120,
  "session creation": 600,
  "first run": 600,
};

/** The environment variable that sets every deadline, in seconds (0 turns them off). */
export const DEADLINE_ENV = "LMO_BENCH_DEADLINE_S";

/** Thrown when guarded work misses its deadline while the main thread is free. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
}

/** One guarded piece of work. */
export interface DeadlineSpec {
  backend: BackendName;
  kind: DeadlineKind;
  /** Seconds; 0 or Infinity means no deadline. */
  seconds: number;
  /** What to do about a hang, e.g. "rerun with --threads 1". */
  advice: string;
}

/**
 * The deadline of `kind` in seconds: {@link DEADLINE_ENV} where set (and readable), else the default.
 * Throws naming the variable when its value is not a number >= 0.
 */
export function deadlineSeconds(kind: DeadlineKind): number {
  const granted = Deno.permissions.querySync({ name: "env", variable: DEADLINE_ENV }).state === "granted";
  const text = granted ? Deno.env.get(DEADLINE_ENV) : undefined;
  if (text === undefined || text.trim() === "") return DEFAULT_DEADLINES_S[kind];
  const seconds = Number(text);
  if (!(Number.isFinite(seconds) && seconds >= 0)) {
    throw new Error(
      `${DEADLINE_ENV} must be a number of seconds >= 0 (0 turns the deadlines off), got "${text}"`,
    );
  }
  return seconds;
}

/** What to do when `info`'s backend hangs, by backend. */
export function hangAdvice(info: BackendInfo): string {
  switch (info.name) {
    case "native":
      return `Rerun with --threads 1 (this run used ${info.threads}), or with --backend wasm`;
    case "wasm":
      return info.threads > 1
        ? `onnxruntime-web's wasm thread pool can hang with ${info.threads} threads under Deno: rerun with ` +
          "--threads 1, or use --backend native"
        : "Rerun with --backend native";
    case "webgpu": {
      const adapter = info.adapter;
      const software = adapter &&
        (adapter.isFallback || /llvmpipe|lavapipe|swiftshader/i.test(adapter.description));
      return software
        ? `The adapter is a software rasterizer (${adapter.description}) that compiles every shader on the ` +
          "CPU, which takes minutes on a loaded machine: use --backend native (or wasm) without a GPU"
        : "Check the GPU driver, or use --backend native";
    }
  }
}

/** The one-line message of a missed deadline. */
export function deadlineMessage(spec: DeadlineSpec): string {
  return `the ${spec.backend} backend's ${spec.kind} did not finish within ${spec.seconds} s. ${spec.advice}. ` +
    `(${DEADLINE_ENV}=<seconds> sets the deadlines, 0 turns them off.)`;
}

/** Extra time the backstop Worker gives the main thread's own timer before it ends the process. */
export function backstopGraceSeconds(seconds: number): number {
  return Math.max(2, 0.05 * seconds);
}

/**
 * Runs `work` under `spec`'s deadline: rejects with a {@link DeadlineError} when the main thread is free
 * at the deadline, and ends the process (after printing the message) when it is still blocked a grace
 * period later.
 */
export async function withDeadline<T>(spec: DeadlineSpec, work: () => Promise<T>): Promise<T> {
  if (!(spec.seconds > 0 && Number.isFinite(spec.seconds))) return await work();
  const message = deadlineMessage(spec);
  const backstop = armBackstop(spec.seconds + backstopGraceSeconds(spec.seconds), message);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineError(message)), spec.seconds * 1000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    backstop.terminate();
  }
}

/**
 * The Web Worker constructor, taken before any ORT package loads: onnxruntime-web's Node build replaces
 * `globalThis.Worker` with node:worker_threads' when it starts its wasm threads.
 */
const WebWorker = globalThis.Worker;

/** Starts the Worker that ends the process `seconds` from now unless terminated first. */
function armBackstop(seconds: number, message: string): Worker {
  const worker = new WebWorker(new URL("./watchdog_worker.ts", import.meta.url).href, { type: "module" });
  worker.postMessage({ ms: seconds * 1000, message, pid: Deno.pid });
  return worker;
}
