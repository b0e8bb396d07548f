/**
 * The `wasm` backend: onnxruntime-web's WebAssembly execution provider, what a browser runs on the CPU.
 * The bare `onnxruntime-web` import resolves to its Node build, whose wasm threads work in Deno as they are.
 */
import {
  type Backend,
  claimProcessThreads,
  type GraphOptimization,
  importFailure,
  OrtBackend,
  ortPackageRoot,
  requirePermission,
  runtimeVersions,
  webSessionOptions,
} from "./backend.ts";

const PACKAGE = "onnxruntime-web";

type OnnxruntimeWeb = typeof import("onnxruntime-web");

/** Imports onnxruntime-web after checking it may read its .wasm, or throws a BackendUnavailableError. */
async function importOnnxruntimeWeb(): Promise<OnnxruntimeWeb> {
  requirePermission(
    "wasm",
    { name: "read", path: ortPackageRoot(PACKAGE) },
    "--allow-read",
    "read its .wasm files",
  );
  try {
    return await import("onnxruntime-web");
  } catch (error) {
    throw importFailure("wasm", PACKAGE, error, "Reinstall the npm packages with `deno install`");
  }
}

/**
 * emscripten's heap limit (65535 pages of 64 KiB): onnxruntime-web's threaded build declares a shared memory
 * of 256 pages that may grow to 65536, and never grows it past this.
 */
const HEAP_LIMIT_PAGES = 65535;

let sharedMemoryReserved = false;

/**
 * Makes every shared WebAssembly memory start at its full size (up to {@link HEAP_LIMIT_PAGES}), so that
 * onnxruntime-web's threaded heap never grows while its pthreads run.
 *
 * Why: Deno's V8 bounds-checks wasm memory accesses against a per-thread copy of the memory's size, which a
 * pthread refreshes only at its next interrupt check. When the main thread grows the heap (loading a large
 * session, or a run's first allocations) and hands a pthread work that lies in the new pages before that
 * check, the pthread traps with "memory access out of bounds"; emscripten's handler then exits the worker
 * (which Deno allows without ending the process) and ORT's main thread waits for it forever. That was the
 * intermittent two-thread hang (3 of 8 nanogpt-tiny runs idle, every run under load). Untouched pages of
 * the larger memory are reserved address space, not resident memory.
 */
function reserveSharedMemory(): void {
  if (sharedMemoryReserved) return;
  sharedMemoryReserved = true;
  const Memory = WebAssembly.Memory;
  const reserving = function (descriptor: WebAssembly.MemoryDescriptor) {
    const { shared, initial, maximum } = descriptor as WebAssembly.MemoryDescriptor & { shared?: boolean };
    if (!shared || maximum === undefined || initial >= HEAP_LIMIT_PAGES) return new Memory(descriptor);
    return new Memory({ ...descriptor, initial: Math.min(maximum, HEAP_LIMIT_PAGES) });
  } as unknown as typeof WebAssembly.Memory;
  reserving.prototype = Memory.prototype;
  WebAssembly.Memory = reserving;
}

/** Throws a {@link BackendUnavailableError} unless onnxruntime-web loads in this process. */
export async function checkAvailable(): Promise<void> {
  await importOnnxruntimeWeb();
}

/**
 * Opens the wasm backend with `threads` wasm threads. The count is global to onnxruntime-web and fixed at
 * its first session, so one process can open this backend with one thread count only.
 */
export async function open(threads: number, graphOptimization: GraphOptimization): Promise<Backend> {
  const ort = await importOnnxruntimeWeb();
  claimProcessThreads("wasm", threads);
  if (threads > 1) reserveSharedMemory();
  ort.env.wasm.numThreads = threads;
  return new OrtBackend({
    name: "wasm",
    ort,
    deviceTensors: false,
    info: () => ({
      name: "wasm",
      ortPackage: PACKAGE,
      ortVersion: ort.env.versions.web ?? ort.env.versions.common,
      // ORT lowers this to 1 at its first session where wasm threads are unsupported.
      threads: ort.env.wasm.numThreads ?? threads,
      graphOptimization,
      ...runtimeVersions(),
    }),
    sessionOptions: (options) => webSessionOptions("wasm", options, graphOptimization),
  });
}
