/**
 * One suite job in a process of its own: the worker side of `deno task reproduce --workers N`
 * (src/cli/job_pool.ts starts it; users never call it). Its one argument is a JSON {@link ChildRequest}; it
 * trains with {@link runJob} exactly as an in-process job would and writes its progress and outcome to
 * stdout as {@link CHILD_MARK}-prefixed JSON lines. SIGTERM/SIGINT, or the end of the reproduce process
 * that started it, stop it cleanly after the current step (src/cli/stop.ts).
 */
import type { OptionValue } from "../optim/mod.ts";
import { type JobInput, runJob } from "../train/job.ts";
import { stopOnSignals } from "./stop.ts";
import { runMain } from "./args.ts";

/** What the pool asks a child to run. */
export interface ChildRequest {
  config: JobInput;
  out: string;
  resolvedOpt?: Record<string, OptionValue>;
}

/** The prefix of the child's protocol lines on stdout (anything else there is passed through). */
export const CHILD_MARK = "@@lmo-bench-job ";

/** One protocol line: a progress tick, then the outcome or the error the job threw (the last line). */
export type ChildMessage =
  | { progress: { step: number; steps: number } }
  | { outcome: Awaited<ReturnType<typeof runJob>> }
  | { error: string };

function send(message: ChildMessage): void {
  console.log(CHILD_MARK + JSON.stringify(message));
}

/** Runs the request in `argv[0]`; the job's error is sent as a message, with exit code 1. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1) throw new Error("job_child.ts takes one JSON argument (it is started by reproduce --workers)");
  const request = JSON.parse(argv[0]) as ChildRequest;
  const stop = stopOnSignals();
  try {
    const outcome = await runJob(request.config, {
      out: request.out,
      resume: true,
      stop: stop.signal,
      resolvedOpt: request.resolvedOpt,
      onProgress: (p) => send({ progress: { step: p.step, steps: p.steps } }),
    });
    // stepMs is long and the pool does not read it.
    send({ outcome: { ...outcome, stepMs: [] } });
    return 0;
  } catch (error) {
    send({ error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
}

if (import.meta.main) runMain(main);
