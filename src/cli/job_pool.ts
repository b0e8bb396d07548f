/**
 * Worker processes for `reproduce --workers N` (src/cli/job_child.ts): each trains one job at a time, job
 * after job, so N jobs train at once. On a 2-core machine two 1-thread processes do 1.5-1.6x the steps of one
 * 2-thread process (the small models' intra-op parallelism is poor), and one process cannot overlap two jobs
 * itself: onnxruntime-node's run holds the JavaScript thread (docs/design.md, "Workers").
 */
import { type ChildMessage, type ChildRequest, CHILD_MARK, lines } from "./job_child.ts";
import type { JobOutcome } from "../train/job.ts";

/** Options of {@link JobPool.run}. */
export interface PoolRunOptions {
  onProgress?(p: { step: number; steps: number }): void;
}

/** The job a worker is training and how to settle it. */
interface Current {
  options: PoolRunOptions;
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
}

const CHILD_URL = new URL("./job_child.ts", import.meta.url);
const CONFIG_PATH = new URL("../../deno.json", import.meta.url);

/** One worker process and the job it is on. */
class Worker {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stderr: string[] = [];
  #current: Current | null = null;
  /** Settles when the process has ended and its output is read. */
  readonly ended: Promise<void>;

  constructor() {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check=remote", "--config", CONFIG_PATH.pathname, CHILD_URL.pathname],
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.ended = Promise.all([
      forEachLine(this.#child.stdout, (line) => this.#onLine(line)),
      forEachLine(this.#child.stderr, (line) => void this.#stderr.push(line)),
      this.#child.status,
    ]).then(([, , status]) => this.#fail(status.code));
  }

  /** Whether the process still runs and takes jobs. */
  alive = true;

  /** Sends `request`; resolves with its outcome (rejects with its error, or with the process's death). */
  run(request: ChildRequest, options: PoolRunOptions): Promise<JobOutcome> {
    return new Promise((resolve, reject) => {
      this.#current = { options, resolve, reject };
      this.#stdin.write(new TextEncoder().encode(JSON.stringify(request) + "\n")).catch(() => {});
    });
  }

  /** Asks the process to stop its job after the current step, then to end. */
  terminate(): void {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
  }

  /** Ends the process once its job, if any, is done (end of its stdin). */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await this.ended;
  }

  #onLine(line: string): void {
    if (!line.startsWith(CHILD_MARK)) return;
    const message = JSON.parse(line.slice(CHILD_MARK.length)) as ChildMessage;
    const current = this.#current;
    if (!current) return;
    if ("progress" in message) return current.options.onProgress?.(message.progress);
    this.#current = null;
    if ("outcome" in message) current.resolve(message.outcome);
    else current.reject(new Error(message.error));
  }

  /** The process ended: a job still open fails with its last line of stderr. */
  #fail(code: number): void {
    this.alive = false;
    const current = this.#current;
    if (!current) return;
    this.#current = null;
    const last = this.#stderr.map((l) => l.trim()).filter(Boolean).at(-1);
    current.reject(
      new Error(`${last?.replace(/^error: /, "") ?? "the job's process ended without an outcome"} (job process exit code ${code})`),
    );
  }
}

/** Up to `size` worker processes, started on demand and reused job after job. */
export class JobPool {
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();

  constructor(readonly size: number, stop?: AbortSignal) {
    stop?.addEventListener("abort", () => this.#all.forEach((w) => w.terminate()));
  }

  /**
   * Trains `request` in an idle worker (or a new one while fewer than `size` run); the caller keeps at most
   * `size` jobs in flight.
   */
  async run(request: ChildRequest, options: PoolRunOptions = {}): Promise<JobOutcome> {
    let worker = this.#idle.pop();
    while (worker && !worker.alive) worker = this.#idle.pop();
    if (!worker) {
      if ([...this.#all].filter((w) => w.alive).length >= this.size) {
        throw new Error(`all ${this.size} workers are busy`);
      }
      worker = new Worker();
      this.#all.add(worker);
      worker.ended.then(() => this.#all.delete(worker!));
    }
    try {
      return await worker.run(request, options);
    } finally {
      if (worker.alive) this.#idle.push(worker);
    }
  }

  /** Ends every worker (each after its current job). */
  async close(): Promise<void> {
    await Promise.all([...this.#all].map((w) => w.close()));
  }
}

/** Calls `each` with every line of `stream`. */
async function forEachLine(stream: ReadableStream<Uint8Array>, each: (line: string) => void): Promise<void> {
  for await (const line of lines(stream)) each(line);
}
