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
import { applyHeapPolicy, type HeapPolicy, heapPolicyFromEnv, trimHeap } from "./heap.ts";
import { NCHWC_ENV, nchwcConvolutions, probeNchwcBlock } from "./nchwc.ts";

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

/**
 * Opens the native backend with `threads` intra-op threads per session (inter-op 1, sequential), whose
 * workers spin while they wait for work when `spinning` (src/runtime/spin.ts) and block otherwise. The
 * process's malloc then follows `LMO_HEAP`, else `heap`, else retains (src/runtime/heap.ts). With `nchwc`,
 * convolutions whose kernels are inputs run in ORT's blocked layout where this CPU has it (src/runtime/nchwc.ts).
 */
export async function open(
  threads: number,
  graphOptimization: GraphOptimization,
  spinning: boolean,
  heap: HeapPolicy | undefined,
  nchwc: boolean,
): Promise<Backend> {
  const ort = await importOnnxruntimeNode();
  const retainsFreedMemory = applyHeapPolicy(heapPolicyFromEnv(heap));
  const nchwcBlock = nchwc ? await probeNchwcBlock(ort) : 0;
  return new OrtBackend({
    name: "native",
    ort,
    deviceTensors: false,
    afterRelease: trimHeap,
    rewriteModel: nchwcBlock
      ? {
        apply: (model) => nchwcConvolutions(model, nchwcBlock),
        advice:
          `its convolutions were rewritten for ORT's NCHWc kernels; ${NCHWC_ENV}=off loads it unchanged`,
      }
      : undefined,
    info: () => ({
      name: "native",
      ortPackage: PACKAGE,
      ortVersion: ort.env.versions.node ?? ort.env.versions.common,
      threads,
      graphOptimization,
      spinning,
      retainsFreedMemory,
      nchwcBlock,
      ...runtimeVersions(),
    }),
    sessionOptions: (options) => ({
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: graphOptimization,
      // Memory: each session's CPU arena keeps its peak for the life of the session, and a run holds the step
      // graph and its lean twin both resident, so two arenas doubled the peak (nanogpt-small: 4.4 GB against
      // 2.4 GB without). Plain malloc keeps one run's peak and gives it back; memory patterns need the arena.
      enableCpuMemArena: false,
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: spinning ? "1" : "0" } } },
      ...(options.profilePrefix === undefined ? {} : {
        enableProfiling: true,
        profileFilePrefix: options.profilePrefix,
      }),
    }),
  });
}
