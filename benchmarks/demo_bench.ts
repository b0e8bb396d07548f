/**
 * The engine demo's training step (a 2-layer MLP, batch 256, hidden 64: forward, backward and the SGD
 * update as one graph run) on each available backend, parameters fed back from the previous step.
 *
 *   node_modules/.bin/deno bench -A benchmarks/demo_bench.ts
 */
import { buildMlpStep, spirals } from "../src/cli/demo.ts";
import { availableBackends, openBackend } from "../src/runtime/mod.ts";
import { type Feed, Program } from "../src/runtime/program.ts";
import { Rng } from "../src/trace/seeds.ts";

const BATCH = 256;
const HIDDEN = 64;

for (const { name, available, reason } of await availableBackends()) {
  if (!available) {
    console.log(`skipping ${name}: ${reason}`);
    continue;
  }
  const backend = await openBackend(name, { threads: 2 });
  const { model, shapes } = buildMlpStep(BATCH, HIDDEN);
  const program = await Program.load(backend, model, { keepOutputsOnDevice: true });
  const rng = new Rng(0);
  const data = spirals(BATCH, rng);
  const feeds: Record<string, Feed> = { x: data.x, y: data.y, lr: new Float32Array([0.1]) };
  for (const [p, shape] of Object.entries(shapes)) feeds[p] = rng.normalArray(shape.reduce((a, b) => a * b, 1), 0.1);
  Deno.bench({
    name: `${name}: MLP SGD step (batch ${BATCH}, hidden ${HIDDEN})`,
    group: "demo step",
    warmup: 5,
    fn: async () => {
      const out = await program.run(feeds);
      for (const p of Object.keys(shapes)) feeds[p] = out[`next_${p}`];
      await backend.read(out.loss);
    },
  });
}
