/**
 * The `native` backend: onnxruntime-node's CPU execution provider (MLAS), the fastest engine on a CPU.
 * The package loads a Node-API binding, so Deno needs --allow-ffi.
 */
import {
  type Backend,
  type GraphOptimization,
  importFailure,
  OrtBackend,
  ortPackageRoot,
  requirePermission,
  runtimeVersions,
} from "./backend.ts";

const PACKAGE = "onnxruntime-node";

type OnnxruntimeNode = typeof import("onnxruntime-node");

/** Imports onnxruntime-node, or throws a {@link BackendUnavailableError} saying why and what to do. */
async function importOnnxruntimeNode(): Promise<OnnxruntimeNode> {
  const root = ortPackageRoot(PACKAGE);
  requirePermission("native", { name: "ffi", path: root }, "--allow-ffi", "load onnxruntime-node's binding");
  try {
    return await import("onnxruntime-node");
  } catch (error) {
    throw importFailure(
      "native",
      PACKAGE,
      error,
      "Run with --allow-ffi (or -A, as the deno tasks do); if the package is missing or broken, reinstall it " +
        "with `deno install` (npm: `ONNXRUNTIME_NODE_INSTALL=skip npm install`, which skips its CUDA download)",
    );
  }
}

/** Throws a {@link BackendUnavailableError} unless onnxruntime-node loads in this process. */
export async function checkAvailable(): Promise<void> {
  await importOnnxruntimeNode();
}

/** Opens the native backend with `threads` intra-op threads per session (inter-op 1, sequential). */
export async function open(threads: number, graphOptimization: GraphOptimization): Promise<Backend> {
  const ort = await importOnnxruntimeNode();
  return new OrtBackend({
    name: "native",
    ort,
    deviceTensors: false,
    info: () => ({
      name: "native",
      ortPackage: PACKAGE,
      ortVersion: ort.env.versions.node ?? ort.env.versions.common,
      threads,
      graphOptimization,
      ...runtimeVersions(),
    }),
    sessionOptions: (options) => ({
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: graphOptimization,
      ...(options.profilePrefix === undefined ? {} : {
        enableProfiling: true,
        profileFilePrefix: options.profilePrefix,
      }),
    }),
  });
}
