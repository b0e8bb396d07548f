/**
 * Sessions kept across the runs of one process: a worker process of `reproduce --workers N` trains job after
 * job, and the jobs of one LR sweep share their graphs (the learning rate and the seed are feeds, not
 * constants), so building each ONNX Runtime session once saves its graph optimization, about 1.2-1.8 s a job
 * on the 2-core reference machine. A session is keyed by the serialized model, the session options and the
 * backend's info (package, threads, graph optimization level), and is shared only between runs that would
 * have built an identical one; ONNX Runtime sessions keep no state between runs.
 */
import { createHash } from "node:crypto";
import type { Backend, Session, SessionOptions } from "./backend.ts";

/** The sessions one process keeps, at most `capacity` of them (the least recently used goes first). */
export class SessionCache {
  readonly #sessions = new Map<string, Promise<Session>>();

  constructor(readonly capacity = 12) {}

  /** `backend` with `load` going through this cache; everything else is the backend's own. */
  wrap(backend: Backend): Backend {
    return {
      name: backend.name,
      info: () => backend.info(),
      load: (model, options) => this.#load(backend, model, options),
      tensor: (type, data, dims) => backend.tensor(type, data, dims),
      read: (t) => backend.read(t),
      dispose: (t) => backend.dispose(t),
    };
  }

  /** How many sessions are kept now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Frees every kept session. */
  async releaseAll(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) await (await s).release();
  }

  async #load(backend: Backend, model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    // A profiled session writes its own profile file when released: never share it.
    if (options.profilePrefix) return backend.load(model, options);
    const digest = createHash("sha256").update(model).digest("hex");
    const key = JSON.stringify([backend.info(), options, digest]);
    let entry = this.#sessions.get(key);
    if (entry) this.#sessions.delete(key);
    else entry = backend.load(model, options);
    this.#sessions.set(key, entry);
    entry.catch(() => this.#sessions.get(key) === entry && this.#sessions.delete(key));
    await this.#evict();
    const session = await entry;
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: (feeds, fetches) => session.run(feeds, fetches),
      // The cache owns the session: a run's release leaves it for the next run.
      release: () => Promise.resolve(),
    };
  }

  async #evict(): Promise<void> {
    while (this.#sessions.size > this.capacity) {
      const [oldest, entry] = this.#sessions.entries().next().value!;
      this.#sessions.delete(oldest);
      await (await entry).release();
    }
  }
}
