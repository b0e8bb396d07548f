/**
 * Whether the process's C heap keeps the memory the native backend frees, for the next step to reuse.
 *
 * The native backend allocates every activation with plain malloc (no ORT arena: see native.ts). glibc
 * serves each block above its mmap threshold (32 MiB at most) from a fresh mapping and unmaps it on free,
 * so every step faults the pages of its large activations in again: nanogpt-small took 270k-380k page
 * faults and 0.6-0.8 s of system time a step that way. With mmap off (`M_MMAP_MAX` 0) and the heap's top
 * never trimmed (`M_TRIM_THRESHOLD` at its maximum), the freed blocks stay in the heap and the next step
 * reuses them: 16k-23k faults and 0.2 s, at the same peak. A released session trims the heap.
 *
 * The cost is a higher peak where freed blocks leave holes that a larger block cannot use: nanogpt-124m's
 * fused step peaked 0.4 GB higher, its split step 0.1 GB. So a training run releases by default when it
 * uses the split step or its predicted peak is over half the machine's memory (src/train/job.ts).
 * `LMO_HEAP=retain|release` decides for every run; a non-glibc C library (musl, macOS) keeps its defaults.
 */
import { parseChoice } from "./backend.ts";

/** The environment variable that chooses the policy: `retain` (the default) or `release`. */
export const HEAP_ENV = "LMO_HEAP";

/** The two policies: keep freed memory for reuse, or leave the C library's defaults. */
export type HeapPolicy = "retain" | "release";

/** Every {@link HeapPolicy}, the default first. */
export const HEAP_POLICIES: readonly HeapPolicy[] = ["retain", "release"];

const M_TRIM_THRESHOLD = -1;
const M_MMAP_MAX = -4;
const INT_MAX = 0x7fffffff;

const SYMBOLS = {
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
} as const;

/** glibc, once this process retains freed memory; undefined until then. */
let libc: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** The policy that {@link HEAP_ENV} asks for, else `fallback` (retain by default); throws naming the valid ones. */
export function heapPolicyFromEnv(fallback: HeapPolicy = "retain"): HeapPolicy {
  return parseChoice(Deno.env.get(HEAP_ENV) ?? fallback, HEAP_POLICIES, HEAP_ENV);
}

/**
 * Applies `policy` to this process's malloc (once: a process that has retained keeps retaining) and says
 * whether freed memory is now retained. Needs FFI permission to load the C library; without it, or off
 * glibc, nothing changes and the answer is false.
 */
export function applyHeapPolicy(policy: HeapPolicy): boolean {
  if (libc || policy === "release" || Deno.build.os !== "linux") return libc !== undefined;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return false;
  }
  if (lib.symbols.mallopt(M_MMAP_MAX, 0) === 1 && lib.symbols.mallopt(M_TRIM_THRESHOLD, INT_MAX) === 1) {
    libc = lib;
  } else lib.close();
  return libc !== undefined;
}

/**
 * Gives a retaining heap's free memory back to the system (`malloc_trim`): a released session's blocks are
 * no use to the next step, and a process between jobs should hold only what it still uses (the bench runs
 * PyTorch beside a process that has just stepped nanogpt-124m). A no-op when the heap does not retain.
 */
export function trimHeap(): void {
  libc?.symbols.malloc_trim(0n);
}
