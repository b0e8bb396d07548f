/**
 * The PyTorch eager reference of `deno task bench --compare-torch` (benchmarks/reference/torch_reference.py,
 * run by Debian's /usr/bin/python3 with python3-torch): the same workloads at 1 thread and at the bench's
 * thread count, and the faster of the two, which our step is compared against. The reference runs on the
 * OpenMP build of OpenBLAS where it is installed (libopenblas0-openmp): with the pthreads build, BLAS keeps
 * a pool of its own beside ATen's and several threads oversubscribe the cores.
 */

/** The workloads the reference builds. */
export const TORCH_WORKLOADS: readonly string[] = [
  "nanogpt-tiny",
  "nanogpt-small",
  "nanogpt-124m",
  "cnn-tiny",
  "cnn-small",
];

/** Workload overrides the reference takes: a nanogpt's width and heads (the scaling table), any batch. */
export interface TorchModel {
  width?: number;
  heads?: number;
  batch?: number;
}

/** Our optimizer presets the reference implements, by their PyTorch name. */
export const TORCH_OPTIMIZERS: Readonly<Record<string, string>> = { adamw: "adamw", muon: "muon" };

/** One reference row, as the script prints it. */
export interface TorchRow {
  workload: string;
  optimizer: string;
  threads: number;
  median_ms: number;
  min_ms: number;
  optimizer_share: number;
  tokens_per_s: number;
  peak_rss_mb: number;
  /** Cores the step kept busy: the process's CPU time over its wall time. */
  cores: number;
  /** The BLAS torch loaded and how it threads, e.g. "OpenBLAS openmp". */
  blas: string;
  /** The threads OpenBLAS was given (the row's `threads`), or null for another BLAS. */
  blas_threads: number | null;
}

/** OpenBLAS threading that shares ATen's OpenMP pool, so that the reference's thread count holds. */
export const SHARED_POOL_BLAS = "OpenBLAS openmp";

/** Debian's folder of the OpenMP build of OpenBLAS (package libopenblas0-openmp) on this architecture. */
export const OPENMP_BLAS_DIR = `/usr/lib/${Deno.build.arch}-linux-gnu/openblas-openmp`;

/**
 * The reference's environment: the OpenMP build of OpenBLAS first on the library path where `blasDir`
 * holds it, and the inherited environment otherwise (the row's `blas` then says what torch loaded).
 */
export function referenceEnv(
  env: Record<string, string>,
  hasDir: (dir: string) => boolean,
  blasDir = OPENMP_BLAS_DIR,
): Record<string, string> {
  if (!hasDir(blasDir)) return env;
  const path = env.LD_LIBRARY_PATH ? `${blasDir}:${env.LD_LIBRARY_PATH}` : blasDir;
  return { ...env, LD_LIBRARY_PATH: path };
}

/** True when `path` is a folder (so `isDir(OPENMP_BLAS_DIR)` says whether the OpenMP build is installed). */
export function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The reference's rows at 1 thread and at `threads`, keyed by optimizer, and the faster row of each. */
export interface TorchComparison {
  byThreads: Map<number, Map<string, TorchRow>>;
  best: Map<string, TorchRow>;
}

const SCRIPT = new URL("../../benchmarks/reference/torch_reference.py", import.meta.url).pathname;

/** Runs the reference once: one row per optimizer, with the workload overrides of `model`. */
export async function runTorchReference(
  workload: string,
  optimizers: readonly string[],
  threads: number,
  steps: number,
  model: TorchModel = {},
): Promise<TorchRow[]> {
  const args = [
    SCRIPT,
    "--workload",
    workload,
    "--threads",
    String(threads),
    "--steps",
    String(steps),
    "--optimizers",
    optimizers.join(","),
  ];
  if (model.width !== undefined) args.push("--width", String(model.width));
  if (model.heads !== undefined) args.push("--heads", String(model.heads));
  if (model.batch !== undefined) args.push("--batch", String(model.batch));
  const env = referenceEnv(Deno.env.toObject(), isDir);
  const out = await new Deno.Command("/usr/bin/python3", {
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  })
    .output()
    .catch((e) => {
      throw new Error(`--compare-torch needs /usr/bin/python3 with Debian's python3-torch: ${e.message}`);
    });
  if (!out.success) {
    throw new Error(
      "the PyTorch reference failed (apt-get install python3-torch libopenblas0-openmp): " +
        new TextDecoder().decode(out.stderr).trim().split("\n").pop(),
    );
  }
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
}

/** Runs the reference at 1 thread and at `threads` (once when they agree) and picks the faster of each. */
export async function compareThreads(
  workload: string,
  optimizers: readonly string[],
  threads: number,
  steps: number,
  model: TorchModel = {},
): Promise<TorchComparison> {
  const byThreads = new Map<number, Map<string, TorchRow>>();
  for (const t of [...new Set([1, threads])]) {
    const rows = await runTorchReference(workload, optimizers, t, steps, model);
    byThreads.set(t, new Map(rows.map((r) => [r.optimizer, r])));
  }
  const best = new Map<string, TorchRow>();
  for (const rows of byThreads.values()) {
    for (const [name, row] of rows) {
      const seen = best.get(name);
      if (!seen || row.median_ms < seen.median_ms) best.set(name, row);
    }
  }
  return { byThreads, best };
}
