/**
 * `deno task demo`: the engine end to end. Builds a 2-layer MLP, compiles loss + gradients + a plain SGD
 * update into one ONNX graph, and trains it on a seeded two-spirals problem on every available backend,
 * printing the loss and the step time.
 */
import { parseArgs } from "node:util";
import { exportOnnx, grad, Graph, linear, mul, relu, softmaxCrossEntropy, sub, type Tensor } from "../graph/mod.ts";
import { availableBackends, type BackendName, openBackend, parseBackendName } from "../runtime/mod.ts";
import { type Feed, Program } from "../runtime/program.ts";
import { Rng } from "../trace/seeds.ts";
import { summarizeTimes } from "../stats/times.ts";
import { intOption } from "./args.ts";

const HELP = `deno task demo [--steps 300] [--lr 0.2] [--batch 256] [--hidden 64] [--backend native|wasm|webgpu] [--threads N]

Trains a 2-layer MLP on two interleaved spirals with plain SGD. Forward, backward and the SGD update are
one ONNX graph, built once and run every step. Without --backend it runs on every available backend.`;

/** Two interleaved spirals: n points in 2-D with labels 0/1. */
export function spirals(n: number, rng: Rng): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const r = (i / n) * 3 + 0.2;
    const angle = r * 2.2 + label * Math.PI + rng.normal() * 0.15;
    x[2 * i] = r * Math.cos(angle);
    x[2 * i + 1] = r * Math.sin(angle);
    y[i] = label;
  }
  return { x, y };
}

/** The MLP's parameter shapes, PyTorch layout. */
function mlpShapes(hidden: number): Record<string, number[]> {
  return { w1: [hidden, 2], b1: [hidden], w2: [hidden, hidden], b2: [hidden], w3: [2, hidden], b3: [2] };
}

/** Builds the fused SGD step graph of the MLP: inputs x, y, lr and the parameters; outputs loss and next parameters. */
export function buildMlpStep(batch: number, hidden: number) {
  const g = new Graph();
  const x = g.input("x", [batch, 2]);
  const y = g.input("y", [batch], "int32");
  const lr = g.input("lr", []);
  const shapes = mlpShapes(hidden);
  const p: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(shapes)) p[name] = g.input(name, shape);
  const h1 = relu(linear(x, p.w1, p.b1));
  const h2 = relu(linear(h1, p.w2, p.b2));
  const loss = softmaxCrossEntropy(linear(h2, p.w3, p.b3), y);
  const names = Object.keys(shapes);
  const grads = grad(loss, names.map((n) => p[n]));
  const outputs: Record<string, Tensor> = { loss };
  names.forEach((n, i) => (outputs[`next_${n}`] = sub(p[n], mul(lr, grads[i]))));
  return { model: exportOnnx(outputs, "mlp-sgd-step"), shapes };
}

/** Trains on one backend and returns the losses and step times in milliseconds. */
export async function trainMlp(
  backendName: BackendName,
  options: { steps: number; lr: number; batch: number; hidden: number; threads?: number; seed?: number },
): Promise<{ losses: number[]; stepMs: number[] }> {
  const rng = new Rng(options.seed ?? 0);
  const { model, shapes } = buildMlpStep(options.batch, options.hidden);
  const backend = await openBackend(backendName, { threads: options.threads });
  const program = await Program.load(backend, model, { keepOutputsOnDevice: true });
  const data = spirals(options.batch, rng);
  const feeds: Record<string, Feed> = { x: data.x, y: data.y, lr: new Float32Array([options.lr]) };
  for (const [name, shape] of Object.entries(shapes)) {
    const fanIn = shape.length > 1 ? shape[1] : 1;
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[name] = shape.length > 1 ? rng.normalArray(n, Math.sqrt(2 / fanIn)) : new Float32Array(n);
  }
  const losses: number[] = [];
  const stepMs: number[] = [];
  try {
    for (let step = 0; step < options.steps; step++) {
      const t0 = performance.now();
      const out = await program.run(feeds);
      for (const name of Object.keys(shapes)) feeds[name] = out[`next_${name}`];
      losses.push(Number((await backend.read(out.loss))[0]));
      stepMs.push(performance.now() - t0);
    }
  } finally {
    await program.release();
  }
  return { losses, stepMs };
}

async function main() {
  const { values } = parseArgs({
    options: {
      steps: { type: "string", default: "300" },
      lr: { type: "string", default: "0.2" },
      batch: { type: "string", default: "256" },
      hidden: { type: "string", default: "64" },
      backend: { type: "string" },
      threads: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(HELP);
  const lr = Number(values.lr);
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`--lr must be a positive number, got "${values.lr}"`);
  const options = {
    steps: intOption("steps", values.steps)!,
    lr,
    batch: intOption("batch", values.batch)!,
    hidden: intOption("hidden", values.hidden)!,
    threads: intOption("threads", values.threads),
  };
  const names = values.backend ? [parseBackendName(values.backend)] : (await availableBackends()).flatMap((b) => {
    if (!b.available) console.log(`skipping ${b.name}: ${b.reason}`);
    return b.available ? [b.name] : [];
  });
  for (const name of names) {
    const { losses, stepMs } = await trainMlp(name, options);
    const t = summarizeTimes(stepMs.slice(1));
    const at = (k: number) => losses[Math.min(k, losses.length - 1)].toFixed(4);
    console.log(
      `${name.padEnd(7)} loss ${at(0)} -> ${at(Math.floor(options.steps / 2))} -> ${at(options.steps - 1)}   ` +
        `step ${t.medianMs.toFixed(2)} ms median, ${t.minMs.toFixed(2)} ms min (first step ${stepMs[0].toFixed(0)} ms)`,
    );
  }
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  });
}
