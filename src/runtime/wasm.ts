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
