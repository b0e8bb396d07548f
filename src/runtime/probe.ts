/**
 * The probe a backend runs when it opens: a tiny graph (y = x·x + x on four values), loaded and run
 * under the probe deadline, so a backend that cannot run at all (a broken adapter, a wedged thread pool)
 * fails within seconds with a clear error instead of on the first real model, and a wrong result is
 * caught before any run directory exists.
 */
import { add, exportOnnx, Graph, mul } from "../graph/mod.ts";
import type { Backend } from "./backend.ts";
import { deadlineSeconds, hangAdvice, withDeadline } from "./watchdog.ts";

const X = [1, -2, 0.5, 3];

/** Loads and runs the probe graph on `backend` under the probe deadline; throws on a wrong result. */
export async function probeBackend(backend: Backend): Promise<void> {
  const g = new Graph();
  const x = g.input("x", [X.length]);
  const model = exportOnnx({ y: add(mul(x, x), x) }, "lmo-bench-probe");
  const spec = { backend: backend.name, kind: "probe" as const, seconds: deadlineSeconds("probe") };
  await withDeadline({ ...spec, advice: hangAdvice(backend.info()) }, async () => {
    const session = await backend.load(model.bytes);
    try {
      const out = await session.run({ x: backend.tensor("float32", Float32Array.from(X), [X.length]) });
      const y = Array.from(await backend.read(out.y) as Float32Array);
      const expected = X.map((v) => v * v + v);
      if (y.some((v, i) => v !== expected[i])) {
        throw new Error(
          `the ${backend.name} backend's probe computed [${y}] for x*x + x, expected [${expected}]`,
        );
      }
    } finally {
      await session.release();
    }
  });
}
