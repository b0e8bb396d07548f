/**
 * Runs suite jobs in child processes (src/cli/job_child.ts), so that `reproduce --workers N` trains N jobs at
 * once. On a 2-core machine two 1-thread processes do 1.5-1.6x the steps of one 2-thread process (measured
 * in docs/performance.md: the small models' intra-op parallelism is poor), and one process cannot overlap
 * two jobs itself: onnxruntime-node's run holds the JavaScript thread.
 */
import { type ChildMessage, type ChildRequest, CHILD_MARK } from "./job_child.ts";
import type { JobOutcome } from "../train/job.ts";

/** Options of {@link runJobInChild}. */
export interface ChildOptions {
  /** When aborted, the child gets SIGTERM and stops after its current step (outcome "interrupted"). */
  stop?: AbortSignal;
  onProgress?(p: { step: number; steps: number }): void;
}

const CHILD_URL = new URL("./job_child.ts", import.meta.url);
const CONFIG_PATH = new URL("../../deno.json", import.meta.url);

/**
 * Trains `request` in a new deno process with the project's config and resolves with its outcome; rejects
 * with the job's error, or the child's last line of stderr when it died without one.
 */
export async function runJobInChild(request: ChildRequest, options: ChildOptions = {}): Promise<JobOutcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check=remote", "--config", CONFIG_PATH.pathname, CHILD_URL.pathname, JSON.stringify(request)],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const terminate = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  options.stop?.addEventListener("abort", terminate);
  let outcome: JobOutcome | undefined;
  let error: string | undefined;
  const stderr: string[] = [];
  try {
    const [, , status] = await Promise.all([
      forEachLine(child.stdout, (line) => {
        if (!line.startsWith(CHILD_MARK)) return;
        const message = JSON.parse(line.slice(CHILD_MARK.length)) as ChildMessage;
        if ("progress" in message) options.onProgress?.(message.progress);
        else if ("outcome" in message) outcome = message.outcome;
        else error = message.error;
      }),
      forEachLine(child.stderr, (line) => void stderr.push(line)),
      child.status,
    ]);
    if (outcome) return outcome;
    if (error !== undefined) throw new Error(error);
    // It died without a word (killed, out of memory): its last line of stderr says the most.
    const last = stderr.map((l) => l.trim()).filter((l) => l && !l.startsWith("Task ")).at(-1);
    throw new Error(
      `${last?.replace(/^error: /, "") ?? "the job's process ended without an outcome"} (job process exit code ${status.code})`,
    );
  } finally {
    options.stop?.removeEventListener("abort", terminate);
  }
}

/** Calls `each` with every line of `stream` (decoded as UTF-8). */
async function forEachLine(stream: ReadableStream<Uint8Array>, each: (line: string) => void): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    lines.forEach(each);
  }
  if (rest) each(rest);
}
