/**
 * The `webgpu` backend: onnxruntime-web's native WebGPU execution provider (the `/webgpu` bundle) on
 * Deno's `navigator.gpu`. Without a GPU, Mesa's llvmpipe/lavapipe software adapter serves it: right
 * for correctness, slow for speed. Outputs can stay on the GPU as `gpu-buffer` tensors between runs.
 */
import {
  type Backend,
  type BackendInfo,
  BackendUnavailableError,
  claimProcessThreads,
  type GraphOptimization,
  importFailure,
  OrtBackend,
  ortPackageRoot,
  requirePermission,
  runtimeVersions,
  webSessionOptions,
} from "./backend.ts";
import { spellOutMaxUnpool } from "./unpool.ts";

const PACKAGE = "onnxruntime-web/webgpu";

type OnnxruntimeWebGpu = typeof import("onnxruntime-web/webgpu");

/**
 * Points XDG_RUNTIME_DIR at a private temporary folder when it is unset, which silences the harmless
 * "XDG_RUNTIME_DIR is invalid or not set" line Mesa's Vulkan driver prints on every adapter request.
 * Skipped (the line stays) without --allow-env and --allow-write; on unload the variable is unset again
 * and the folder removed.
 */
function quietMesaRuntimeDirWarning(): void {
  const granted = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state === "granted";
  if (!granted({ name: "env", variable: "XDG_RUNTIME_DIR" }) || Deno.env.get("XDG_RUNTIME_DIR")) return;
  if (!granted({ name: "write", path: Deno.env.get("TMPDIR") ?? "/tmp" })) return;
  const folder = Deno.makeTempDirSync({ prefix: "lmo-bench-xdg-" });
  Deno.env.set("XDG_RUNTIME_DIR", folder);
  globalThis.addEventListener("unload", () => {
    Deno.env.delete("XDG_RUNTIME_DIR");
    Deno.removeSync(folder, { recursive: true });
  });
}

/** The default WebGPU adapter, or a {@link BackendUnavailableError} saying how to get one. */
async function requestAdapter(): Promise<GPUAdapter> {
  quietMesaRuntimeDirWarning();
  const adapter = await navigator.gpu?.requestAdapter();
  if (adapter) return adapter;
  throw new BackendUnavailableError(
    "the webgpu backend found no WebGPU adapter (navigator.gpu.requestAdapter() returned null). Without a GPU, " +
      "install Mesa's software Vulkan driver: `apt-get install -y mesa-vulkan-drivers` (lavapipe); or run on a " +
      "GPU machine. If DENO_WEBGPU_BACKEND is set, unset it or name an available backend (vulkan, gl)",
  );
}

/** Imports the `/webgpu` bundle, with the blob shim first so its wasm threads can start under Deno. */
async function importOnnxruntimeWebGpu(): Promise<OnnxruntimeWebGpu> {
  requirePermission(
    "webgpu",
    { name: "read", path: ortPackageRoot(PACKAGE) },
    "--allow-read",
    "read its .wasm files",
  );
  try {
    await import("./blob_shim.ts");
    return await import("onnxruntime-web/webgpu");
  } catch (error) {
    throw importFailure("webgpu", PACKAGE, error, "Reinstall the npm packages with `deno install`");
  }
}

/** Throws a {@link BackendUnavailableError} unless a WebGPU adapter exists and the bundle loads. */
export async function checkAvailable(): Promise<void> {
  await requestAdapter();
  await importOnnxruntimeWebGpu();
}

/**
 * Opens the webgpu backend; `threads` sets the wasm threads of the CPU fallback for ops the WebGPU EP
 * lacks. As with `wasm`, the count is fixed for the process at the bundle's first session.
 */
export async function open(threads: number, graphOptimization: GraphOptimization): Promise<Backend> {
  const adapterInfo = (await requestAdapter()).info;
  const ort = await importOnnxruntimeWebGpu();
  claimProcessThreads("webgpu", threads);
  ort.env.wasm.numThreads = threads;
  const adapter: BackendInfo["adapter"] = {
    vendor: adapterInfo.vendor,
    architecture: adapterInfo.architecture,
    device: adapterInfo.device,
    description: adapterInfo.description,
    isFallback: adapterInfo.isFallbackAdapter,
  };
  return new OrtBackend({
    name: "webgpu",
    ort,
    deviceTensors: true,
    rewriteModel: {
      apply: spellOutMaxUnpool,
      advice:
        "its max-pool gradients were spelled out in elementwise ops, as WebGPU has no MaxPool indices " +
        "(src/runtime/unpool.ts)",
    },
    info: () => ({
      name: "webgpu",
      ortPackage: PACKAGE,
      ortVersion: ort.env.versions.web ?? ort.env.versions.common,
      threads: ort.env.wasm.numThreads ?? threads,
      graphOptimization,
      adapter: { ...adapter },
      ...runtimeVersions(),
    }),
    sessionOptions: (options) => ({
      ...webSessionOptions("webgpu", options, graphOptimization),
      ...(options.keepOutputsOnDevice ? { preferredOutputLocation: "gpu-buffer" as const } : {}),
    }),
  });
}
