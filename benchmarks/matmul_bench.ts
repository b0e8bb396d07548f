/**
 * MatMul throughput of each available backend: C = A @ B for n x n float32 inputs (n = 256, 512, 1024),
 * 2 threads, one session per backend and size built before timing, host tensors in and out (so the
 * webgpu numbers include upload and download). Each group names the work of one run, 2n^3 flop, so
 * GFLOP/s = GFLOP per run / seconds per run.
 *
 *   node_modules/.bin/deno bench -A benchmarks/matmul_bench.ts
 */
import { availableBackends, openBackend } from "../src/runtime/mod.ts";
import { Rng } from "../src/trace/seeds.ts";
import { matmulModel } from "../tests/helpers/onnx_fixtures.ts";

const THREADS = 2;
const SIZES = [256, 512, 1024];
/** Timed iterations per size: enough for a stable mean without minutes on the slow software GPU. */
const ITERATIONS: Record<number, number> = { 256: 200, 512: 50, 1024: 15 };

const rng = new Rng(1024);

for (const { name, available, reason } of await availableBackends()) {
  if (!available) {
    console.log(`skipping ${name}: ${reason}`);
    continue;
  }
  const backend = await openBackend(name, { threads: THREADS });
  for (const n of SIZES) {
    const session = await backend.load(matmulModel(n, n, n));
    const feeds = {
      A: backend.tensor("float32", rng.normalArray(n * n), [n, n]),
      B: backend.tensor("float32", rng.normalArray(n * n), [n, n]),
    };
    Deno.bench({
      name: `${name} matmul ${n}x${n}, ${THREADS} threads`,
      group: `matmul n=${n}: 2n^3 = ${(2 * n ** 3 / 1e9).toFixed(4)} GFLOP per run`,
      n: ITERATIONS[n],
      warmup: 3,
      fn: async () => {
        await session.run(feeds);
      },
    });
  }
}
