/**
 * A process that blocks its main thread synchronously inside work guarded by a deadline, as a hung wasm
 * thread pool does: `deno run -A tests/helpers/hang.ts SECONDS`. Only the watchdog's backstop Worker can
 * end it.
 */
import { withDeadline } from "../../src/runtime/watchdog.ts";

const seconds = Number(Deno.args[0]);
await withDeadline(
  { backend: "wasm", kind: "first run", seconds, advice: "Rerun with --threads 1" },
  // deno-lint-ignore require-await
  async () => {
    for (;;) { /* the main thread never yields, so no timer of its own can fire */ }
  },
);
