/**
 * A worker process of `deno task reproduce --workers N` (src/cli/job_pool.ts starts it; users never call it).
 * It reads one JSON {@link ChildRequest} per line on stdin and trains them one after another with
 * {@link runJob}, exactly as in-process jobs would, keeping ONNX Runtime sessions between jobs that build the
 * same ones (src/runtime/session_cache.ts). Progress, outcome or error go to stdout as {@link CHILD_MARK}-
 * prefixed JSON lines. It ends at the end of stdin. SIGTERM/SIGINT, or the end of the reproduce process that
 * started it, stop its job cleanly after the current step, and then the process (src/cli/stop.ts).
 */
import { SessionCache } from "../runtime/mod.ts";
import type { OptionValue } from "../optim/mod.ts";
import { type JobInput, type JobOutcome, runJob } from "../train/job.ts";
import { stopOnSignals } from "./stop.ts";
import { runMain } from "./args.ts";

/** What the pool asks a worker to run. */
export interface ChildRequest {
  config: JobInput;
  out: string;
  resolvedOpt?: Record<string, OptionValue>;
}

/** The prefix of the worker's protocol lines on stdout (anything else there is passed through). */
export const CHILD_MARK = "@@lmo-bench-job ";

/** One protocol line: progress ticks of the current job, then its outcome or the error it threw. */
export type ChildMessage =
  | { progress: { step: number; steps: number } }
  | { outcome: JobOutcome }
  | { error: string };

/** The lines of `stream` (decoded as UTF-8), the last one even without a newline. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

function send(message: ChildMessage): void {
  console.log(CHILD_MARK + JSON.stringify(message));
}

/** Serves the requests on stdin until it ends or a stop signal arrives. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length) throw new Error("job_child.ts takes no arguments: reproduce --workers starts it");
  const stop = stopOnSignals();
  const sessions = new SessionCache();
  try {
    for await (const line of lines(Deno.stdin.readable)) {
      if (!line.trim()) continue;
      await serve(JSON.parse(line) as ChildRequest, stop.signal, sessions);
      if (stop.signal.aborted) return stop.reason()!.exitCode;
    }
    return 0;
  } finally {
    await sessions.releaseAll();
  }
}

async function serve(request: ChildRequest, stop: AbortSignal, sessions: SessionCache): Promise<void> {
  try {
    const outcome = await runJob(request.config, {
      out: request.out,
      resume: true,
      stop,
      sessions,
      resolvedOpt: request.resolvedOpt,
      onProgress: (p) => send({ progress: { step: p.step, steps: p.steps } }),
    });
    // stepMs is long and the pool does not read it.
    send({ outcome: { ...outcome, stepMs: [] } });
  } catch (error) {
    send({ error: error instanceof Error ? error.message : String(error) });
  }
}

if (import.meta.main) runMain(main);
