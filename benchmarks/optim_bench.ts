/**
 * Optimizer step time per preset on nanogpt-tiny's parameter shapes (4 blocks, d 128, vocab 65, context
 * 64; wte tied with the head): one update graph taking parameters, gradients and state as inputs and
 * producing the next parameters and state, on native and wasm with 2 threads.
 *
 *   deno bench -A benchmarks/optim_bench.ts          Deno's bench statistics
 *   deno run -A benchmarks/optim_bench.ts [runs]     a table of min / median ms per preset and backend,
 *                                                    without and with the per-layer diagnostics
 */
import type { ParamSpec, Role } from "../src/contracts/params.ts";
import { makeOptimizer, presetNames } from "../src/optim/mod.ts";
import { UpdateStepper } from "../src/train/update_stepper.ts";
import { type Backend, type HostData, openBackend } from "../src/runtime/mod.ts";
import { Rng } from "../src/trace/seeds.ts";

const D = 128;
const spec = (name: string, shape: number[], role: Role): ParamSpec => ({
  name,
  shape,
  role,
  init: () => new Float32Array(0),
});

/** nanogpt-tiny's parameters: per block c_q, c_k, c_v, c_proj [d, d], c_fc [4d, d], c_proj [d, 4d], LayerNorm gains and biases. */
const NANOGPT_TINY: ParamSpec[] = [
  spec("wte", [65, D], "tied_embedding"),
  spec("wpe", [64, D], "position"),
  ...Array.from({ length: 4 }, (_, b) => [
    spec(`h.${b}.ln_1.gain`, [D], "gain"),
    spec(`h.${b}.ln_1.bias`, [D], "bias"),
    ...["c_q", "c_k", "c_v", "c_proj"].map((n) => spec(`h.${b}.attn.${n}`, [D, D], "hidden")),
    spec(`h.${b}.ln_2.gain`, [D], "gain"),
    spec(`h.${b}.ln_2.bias`, [D], "bias"),
    spec(`h.${b}.mlp.c_fc`, [4 * D, D], "hidden"),
    spec(`h.${b}.mlp.c_proj`, [D, 4 * D], "hidden"),
  ]).flat(),
  spec("ln_f.gain", [D], "gain"),
  spec("ln_f.bias", [D], "bias"),
];

const BACKENDS = ["native", "wasm"] as const;
const THREADS = 2;

/** A loaded update graph and the feeds of one mid-run step (step 1, so no first-step branch is special). */
async function prepare(backend: Backend, name: string, diagnostics: boolean) {
  const opt = makeOptimizer(name);
  const stepper = await UpdateStepper.create(backend, opt, NANOGPT_TINY, { dtype: "float32", diagnostics });
  const rng = new Rng(1);
  const random = () =>
    Object.fromEntries(
      NANOGPT_TINY.map((s) => [s.name, rng.normalArray(s.shape.reduce((a, b) => a * b, 1), 0.02)]),
    );
  const feeds: Record<string, HostData> = stepper.feeds(random(), random(), {
    lr: opt.lrAt(1, 1000),
    step: 1,
    loss: 3.5,
  });
  return { stepper, feeds, nodes: stepper.graph.model.nodeCount };
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 30);
  console.log(
    `optimizer step, nanogpt-tiny shapes (${NANOGPT_TINY.length} tensors), ${THREADS} threads, ${runs} runs after 3 warmups`,
  );
  console.log("backend  preset          diag  nodes   min ms  median ms");
  for (const backendName of BACKENDS) {
    const backend = await openBackend(backendName, { threads: THREADS });
    for (const name of presetNames()) {
      for (const diagnostics of [false, true]) {
        const { stepper, feeds, nodes } = await prepare(backend, name, diagnostics);
        const times: number[] = [];
        for (let i = 0; i < runs + 3; i++) {
          const t0 = performance.now();
          await stepper.program.run(feeds);
          if (i >= 3) times.push(performance.now() - t0);
        }
        await stepper.release();
        times.sort((a, b) => a - b);
        const median = times.length % 2
          ? times[(times.length - 1) / 2]
          : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
        console.log(
          `${backendName.padEnd(8)} ${name.padEnd(15)} ${diagnostics ? "yes " : "no  "} ${
            String(nodes).padStart(5)
          } ` +
            `${times[0].toFixed(2).padStart(8)} ${median.toFixed(2).padStart(10)}`,
        );
      }
    }
  }
} else {
  for (const backendName of BACKENDS) {
    const backend = await openBackend(backendName, { threads: THREADS });
    for (const name of presetNames()) {
      const { stepper, feeds } = await prepare(backend, name, false);
      Deno.bench({
        name: `${name} (${backendName})`,
        group: backendName,
        baseline: name === "adamw",
        fn: async () => {
          await stepper.program.run(feeds);
        },
      });
    }
  }
}
