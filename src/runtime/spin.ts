/**
 * Whether ONNX Runtime's intra-op workers spin while they wait for work (native backend). Spinning saves a
 * futex wake-up per parallel kernel, about 20% of a nanogpt-tiny step on 2 idle cores; on a machine whose
 * cores are busy a spinning worker steals the core the main thread needs, and the 2-thread step became slower
 * than the 1-thread one (docs/performance.md). So "auto" spins only when the cores the threads need are idle
 * when the backend opens.
 */
import { loadavg } from "node:os";
import { parseChoice } from "./backend.ts";

/** "auto" (spin when enough cores are idle at open), "on" or "off". */
export type SpinPolicy = "auto" | "on" | "off";

/** Every spin policy, in the order `--help` lists them. */
export const SPIN_POLICIES: readonly SpinPolicy[] = ["auto", "on", "off"];

/** Environment variable that sets the spin policy where no option does. */
export const SPIN_ENV = "LMO_INTRA_OP_SPIN";

/** Checks that `value` is a spin policy, or throws an error that lists them. */
export function parseSpinPolicy(value: string, source = "spin policy"): SpinPolicy {
  return parseChoice(value, SPIN_POLICIES, source);
}

/**
 * The "auto" rule: spin only with more than one thread and at least `threads - 0.5` cores idle, so each
 * thread has a core (half a core of slack for the noise of a short sample).
 */
export function spinWhenIdle(threads: number, idleCores: number): boolean {
  return threads > 1 && idleCores >= threads - 0.5;
}

/** Cores idle over a short sample of /proc/stat (Linux); elsewhere the cores less the 1-minute load. */
export async function idleCores(sampleMs = 200): Promise<number> {
  const cores = navigator.hardwareConcurrency;
  const first = readCpuTimes();
  if (first === undefined) return Math.max(0, cores - loadavg()[0]);
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const second = readCpuTimes()!;
  const total = second.total - first.total;
  return total > 0 ? (cores * (second.idle - first.idle)) / total : cores;
}

/** Resolves a policy for a backend opened with `threads` threads. */
export async function resolveSpinning(policy: SpinPolicy, threads: number): Promise<boolean> {
  if (policy !== "auto") return policy === "on";
  // One thread never spins: skip the 200 ms sample.
  return threads > 1 && spinWhenIdle(threads, await idleCores());
}

/**
 * The aggregate "cpu" line of /proc/stat: idle (idle + iowait) and total jiffies of the first eight fields
 * (guest time is already counted in user time; steal, a neighbour's use of our core, counts as busy).
 */
function readCpuTimes(): { idle: number; total: number } | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/stat");
  } catch {
    return undefined;
  }
  const fields = text.split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 5 || fields.some((f) => !Number.isFinite(f))) return undefined;
  return { idle: fields[3] + fields[4], total: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
}
