/**
 * Forward + backward time of the NanoGPT tiny workloads (batch 12 x context 64 = 768 tokens per step) on the
 * native and wasm backends with 2 threads: one compiled float32 graph computing the loss and every parameter
 * gradient, parameters and batch fed as backend tensors made once. tokens/s = 768 / (seconds per step).
 *
 *   node_modules/.bin/deno bench -A benchmarks/models_bench.ts
 */
import { exportOnnx, grad, Graph, type OnnxModel, type Tensor } from "../src/graph/mod.ts";
import { makeWorkload, type Workload } from "../src/models/mod.ts";
import { availableBackends, openBackend } from "../src/runtime/mod.ts";
import { Rng } from "../src/trace/seeds.ts";

const THREADS = 2;
const BACKENDS = ["native", "wasm"] as const;
const WORKLOADS = ["nanogpt-tiny", "nanogpt-tiny-modded"];

/** The loss and all parameter gradients of a workload as one exported model. */
function lossAndGrads(w: Workload): OnnxModel {
  const g = new Graph("float32");
  const params = Object.fromEntries(w.params.map((p) => [p.name, g.input(p.name, p.shape)]));
  const batch = Object.fromEntries(w.batch.map((b) => [b.name, g.input(b.name, b.shape, b.dtype)]));
  const { loss } = w.buildLoss(g, params, batch);
  const outputs: Record<string, Tensor> = { loss };
  grad(loss, w.params.map((p) => params[p.name])).forEach((
    t,
    i,
  ) => (outputs[`grad/${w.params[i].name}`] = t));
  return exportOnnx(outputs);
}

const available = new Map((await availableBackends()).map((b) => [b.name, b]));
for (const name of WORKLOADS) {
  const w = makeWorkload(name);
  const { batch: b, context: t, vocab } = w.config as { batch: number; context: number; vocab: number };
  const model = lossAndGrads(w);
  for (const backendName of BACKENDS) {
    const status = available.get(backendName);
    if (!status?.available) {
      console.log(`skipping ${backendName}: ${status?.reason}`);
      continue;
    }
    const backend = await openBackend(backendName, { threads: THREADS });
    const session = await backend.load(model.bytes);
    const rng = new Rng(7);
    const feeds: Record<string, ReturnType<typeof backend.tensor>> = {};
    for (const p of w.params) feeds[p.name] = backend.tensor("float32", p.init(rng), p.shape);
    for (const spec of w.batch) {
      feeds[spec.name] = backend.tensor(
        "int32",
        Int32Array.from({ length: b * t }, () => rng.int(vocab)),
        spec.shape,
      );
    }
    Deno.bench({
      name: `${backendName} ${name} loss+grads, ${b}x${t} = ${b * t} tokens/step, ${THREADS} threads`,
      group: `${name} forward+backward (${model.nodeCount} ONNX nodes)`,
      n: 40,
      warmup: 5,
      fn: async () => {
        await session.run(feeds);
      },
    });
  }
}
