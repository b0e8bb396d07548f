/**
 * Backend deadlines (src/runtime/watchdog.ts): an asynchronous hang rejects with a clear error, a
 * synchronous one (the main thread blocked, as by a hung wasm thread pool) is ended by the backstop
 * Worker, and on the real wasm and webgpu backends a deadline shorter than their start-up fires with the
 * backend's own advice.
 */
import assert from "node:assert/strict";
import { availableBackends } from "../src/runtime/mod.ts";
import {
  DEADLINE_ENV,
  DeadlineError,
  deadlineSeconds,
  DEFAULT_DEADLINES_S,
  hangAdvice,
  withDeadline,
} from "../src/runtime/watchdog.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const available = new Set((await availableBackends()).filter((b) => b.available).map((b) => b.name));

async function deno(args: string[], env: Record<string, string> = {}) {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { ...out, stderr: new TextDecoder().decode(out.stderr), wallS: (performance.now() - t0) / 1000 };
}

Deno.test("withDeadline passes results and errors through, and rejects a hung promise naming backend, step and fix", async () => {
  const spec = {
    backend: "webgpu" as const,
    kind: "session creation" as const,
    seconds: 0.2,
    advice: "Use --backend native",
  };
  assert.equal(await withDeadline(spec, () => Promise.resolve(42)), 42);
  await assert.rejects(
    withDeadline(spec, () => Promise.reject(new Error("engine said no"))),
    /engine said no/,
  );
  const t0 = performance.now();
  await assert.rejects(
    withDeadline(spec, () => new Promise(() => {})),
    (error: unknown) => {
      assert.ok(error instanceof DeadlineError);
      assert.match(
        error.message,
        /^the webgpu backend's session creation did not finish within 0\.2 s\. Use --backend native\. \(LMO_BENCH_DEADLINE_S=<seconds> sets the deadlines, 0 turns them off\.\)$/,
      );
      return true;
    },
  );
  assert.ok(performance.now() - t0 < 2000, "the main thread's timer fires, not the backstop");
  // Deadline 0 turns the guard off.
  assert.equal(await withDeadline({ ...spec, seconds: 0 }, () => Promise.resolve("off")), "off");
});

Deno.test("a main thread blocked inside guarded work is ended by the backstop Worker with the message", async () => {
  const out = await deno(["run", "-A", "tests/helpers/hang.ts", "0.3"]);
  assert.equal(out.signal, "SIGKILL", out.stderr);
  assert.match(
    out.stderr,
    /error: the wasm backend's first run did not finish within 0\.3 s\. Rerun with --threads 1\. .*The main thread is blocked inside the engine, so the process is ended\./,
  );
  assert.ok(out.wallS < 60, `ended after ${out.wallS} s`);
});

Deno.test("deadlines come from LMO_BENCH_DEADLINE_S, and each backend's advice names what to do", () => {
  const before = Deno.env.get(DEADLINE_ENV);
  try {
    Deno.env.delete(DEADLINE_ENV);
    assert.equal(deadlineSeconds("first run"), DEFAULT_DEADLINES_S["first run"]);
    Deno.env.set(DEADLINE_ENV, "30");
    assert.equal(deadlineSeconds("probe"), 30);
    Deno.env.set(DEADLINE_ENV, "-1");
    assert.throws(() => deadlineSeconds("probe"), /LMO_BENCH_DEADLINE_S must be a number of seconds >= 0/);
  } finally {
    if (before === undefined) Deno.env.delete(DEADLINE_ENV);
    else Deno.env.set(DEADLINE_ENV, before);
  }
  const base = { ortPackage: "x", ortVersion: "1", graphOptimization: "all" as const, deno: "2", v8: "15" };
  assert.match(
    hangAdvice({ ...base, name: "wasm", threads: 2 }),
    /wasm thread pool can hang with 2 threads.*--threads 1.*--backend native/,
  );
  assert.match(hangAdvice({ ...base, name: "native", threads: 4 }), /--threads 1/);
  const llvmpipe = {
    vendor: "mesa",
    architecture: "",
    device: "",
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    isFallback: true,
  };
  assert.match(
    hangAdvice({ ...base, name: "webgpu", threads: 2, adapter: llvmpipe }),
    /software rasterizer \(llvmpipe.*--backend native/,
  );
});

for (const [backend, threads] of [["wasm", "2"], ["webgpu", "1"]] as const) {
  Deno.test({
    name:
      `${backend}: a deadline shorter than the backend's start-up ends the demo with the backend's advice`,
    ignore: !available.has(backend),
    fn: async () => {
      const out = await deno(
        ["run", "-A", "src/cli/demo.ts", "--backend", backend, "--threads", threads, "--steps", "1"],
        { [DEADLINE_ENV]: "0.001" },
      );
      // The main thread's timer ends it (exit 1) or, where start-up blocks the main thread (compiling the
      // wasm), the backstop does (SIGKILL): either way with the message.
      assert.ok(
        out.code === 1 || out.signal === "SIGKILL",
        `code ${out.code}, signal ${out.signal}: ${out.stderr}`,
      );
      assert.match(
        out.stderr,
        new RegExp(
          `error: the ${backend} backend's (probe|session creation) did not finish within 0\\.001 s\\.`,
        ),
      );
      if (backend === "wasm") assert.match(out.stderr, /--threads 1/);
      else assert.match(out.stderr, /--backend native/);
    },
  });
}
