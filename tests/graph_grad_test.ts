/** Every op's VJP against central finite differences (float64 where ORT's CPU kernels allow, else float32). */
import * as G from "../src/graph/mod.ts";
import { checkGradients, probe } from "./helpers/gradcheck.ts";
import { Rng } from "../src/trace/seeds.ts";

const positive = (n: number, seed = 3) => {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => 0.5 + 2 * r.uniform());
};
const ints = (n: number, hi: number, seed = 5) => {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(hi));
};

type Case = [string, (g: G.Graph) => { loss: G.Tensor; wrt: G.Tensor[] }, Parameters<typeof checkGradients>[2]?];

const unary = (name: string, f: (x: G.Tensor) => G.Tensor, feeds?: boolean): Case => [
  name,
  (g) => {
    const x = g.input("x", [3, 4]);
    return { loss: probe(f(x)), wrt: [x] };
  },
  feeds ? { feeds: { x: positive(12) } } : {},
];

const layerNormAffine: Case[1] = (g) => {
  const x = g.input("x", [2, 3, 5]);
  const w = g.input("w", [5]);
  const b = g.input("b", [5]);
  return { loss: probe(G.layerNorm(x, w, b)), wrt: [x, w, b] };
};

const binary = (name: string, f: (a: G.Tensor, b: G.Tensor) => G.Tensor, bPositive = false): Case => [
  `${name} (broadcast [2,3,4] with [3,1])`,
  (g) => {
    const a = g.input("a", [2, 3, 4]);
    const b = g.input("b", [3, 1]);
    return { loss: probe(f(a, b)), wrt: [a, b] };
  },
  bPositive ? { feeds: { b: positive(3) } } : {},
];

const cases: Case[] = [
  binary("add", G.add),
  binary("sub", G.sub),
  binary("mul", G.mul),
  binary("div", G.div, true),
  binary("maximum", G.maximum),
  binary("minimum", G.minimum),
  unary("neg", G.neg),
  unary("exp", G.exp),
  unary("log", G.log, true),
  unary("sqrt", G.sqrt, true),
  unary("abs", G.abs),
  unary("relu", G.relu),
  unary("tanh", G.tanh),
  unary("sigmoid", G.sigmoid),
  unary("pow 3", (x) => G.pow(x, 3)),
  unary("pow 2", (x) => G.pow(x, 2)),
  unary("pow -0.5", (x) => G.pow(x, -0.5), true),
  unary("gelu (tanh), float64 form", G.gelu),
  ["gelu (tanh), fused FastGelu kernel in float32", (g) => {
    const x = g.input("x", [3, 4]);
    return { loss: probe(G.gelu(x)), wrt: [x] };
  }, { dtype: "float32" }],
  unary("sign (zero gradient) times x", (x) => G.mul(G.sign(x), x)),
  unary("where", (x) => G.where(G.greater(x, 0.2), G.mul(x, 3), G.exp(x))),
  unary("expand", (x) => G.expand(G.reshape(x, [3, 1, 4]), [2, 3, 5, 4])),
  unary("reduceSum axis 1", (x) => G.reduceSum(x, [1])),
  unary("reduceSum all", (x) => G.mul(G.reduceSum(x), x)),
  unary("reduceMean keepDims", (x) => G.mul(G.reduceMean(x, [0], true), x)),
  unary("reduceMax axis -1", (x) => G.reduceMax(x, [-1])),
  unary("cumSum (forward and reverse)", (x) => G.add(G.cumSum(x, 1), G.cumSum(G.mul(x, x), 0, true))),
  unary("softmax", (x) => G.softmax(x, 0)),
  unary("logSoftmax", (x) => G.logSoftmax(x, -1)),
  unary("reshape", (x) => G.reshape(x, [2, -1])),
  unary("transpose", (x) => G.transpose(G.reshape(x, [2, 3, 2]), [2, 0, 1])),
  unary("slice (negative end)", (x) => G.slice(x, [1, 1], [3, -1])),
  unary("pad", (x) => G.pad(x, [1, 0, 0, 2])),
  unary("concat", (x) => G.concat([x, G.mul(x, x), G.slice(x, [0], [2])], 0)),
  unary("layerNorm", (x) => G.layerNorm(x)),
  unary("rmsNorm", (x) => G.rmsNorm(x)),
  unary("causal mask + softmax", (x) => G.softmax(G.causalMask(G.reshape(G.slice(x, [0, 0], [3, 3]), [1, 3, 3])))),
  ["layerNorm with gain and bias", layerNormAffine],
  // float32 graphs run ORT's LayerNormalization kernel and the hand-written backward (float64 spells it out).
  ["layerNorm, fused LayerNormalization kernel in float32", (g) => {
    const x = g.input("x", [3, 4]);
    return { loss: probe(G.layerNorm(x)), wrt: [x] };
  }, { dtype: "float32" }],
  ["layerNorm with gain and bias, fused kernel in float32", layerNormAffine, { dtype: "float32" }],
  [
    "matmul 2-D",
    (g) => {
      const a = g.input("a", [3, 4]);
      const b = g.input("b", [4, 5]);
      return { loss: probe(G.matmul(a, b)), wrt: [a, b] };
    },
  ],
  [
    "matmul batched x shared matrix",
    (g) => {
      const a = g.input("a", [2, 3, 4]);
      const b = g.input("b", [4, 5]);
      return { loss: probe(G.matmul(a, b)), wrt: [a, b] };
    },
  ],
  [
    "matmul broadcast batches [2,1,3,4] x [3,4,2]",
    (g) => {
      const a = g.input("a", [2, 1, 3, 4]);
      const b = g.input("b", [3, 4, 2]);
      return { loss: probe(G.matmul(a, b)), wrt: [a, b] };
    },
  ],
  [
    "linear with bias",
    (g) => {
      const x = g.input("x", [2, 3, 4]);
      const w = g.input("w", [5, 4]);
      const b = g.input("b", [5]);
      return { loss: probe(G.linear(x, w, b)), wrt: [x, w, b] };
    },
  ],
  [
    "gather (embedding lookup with repeated rows)",
    (g) => {
      const table = g.input("table", [6, 3]);
      const idx = g.input("idx", [2, 4], "int32");
      return { loss: probe(G.gather(table, idx)), wrt: [table] };
    },
    { feeds: { idx: Int32Array.from([0, 5, 2, 2, 1, 0, 5, 5]) } },
  ],
  [
    "takeAlongLastAxis (one entry per row)",
    (g) => {
      const x = g.input("x", [2, 3, 5]);
      const idx = g.input("idx", [2, 3, 1], "int32");
      return { loss: probe(G.takeAlongLastAxis(x, idx)), wrt: [x] };
    },
    { feeds: { idx: ints(6, 5, 9) } },
  ],
  [
    "softmax cross-entropy, mean",
    (g) => {
      const logits = g.input("logits", [2, 3, 7]);
      const y = g.input("y", [2, 3], "int32");
      return { loss: G.softmaxCrossEntropy(logits, y), wrt: [logits] };
    },
    { feeds: { y: ints(6, 7) } },
  ],
  [
    "softmax cross-entropy, sum",
    (g) => {
      const logits = g.input("logits", [5, 4]);
      const y = g.input("y", [5], "int32");
      return { loss: G.softmaxCrossEntropy(logits, y, "sum"), wrt: [logits] };
    },
    { feeds: { y: ints(5, 4) } },
  ],
  [
    "batchNorm (batch statistics) with gain and bias",
    (g) => {
      const x = g.input("x", [3, 2, 2, 3]);
      const w = g.input("w", [2]);
      const b = g.input("b", [2]);
      return { loss: probe(G.batchNorm(x, w, b)), wrt: [x, w, b] };
    },
  ],
  [
    "conv2d stride 1 padding 1",
    (g) => {
      const x = g.input("x", [2, 3, 5, 5]);
      const w = g.input("w", [4, 3, 3, 3]);
      return { loss: probe(G.conv2d(x, w, { padding: 1 })), wrt: [x, w] };
    },
    { dtype: "float32" },
  ],
  [
    "conv2d stride 1 padding 0, a 2x3 kernel",
    (g) => {
      const x = g.input("x", [2, 2, 4, 5]);
      const w = g.input("w", [3, 2, 2, 3]);
      return { loss: probe(G.conv2d(x, w)), wrt: [x, w] };
    },
    { dtype: "float32" },
  ],
  [
    "conv2d stride 2 padding 0 on an odd size",
    (g) => {
      const x = g.input("x", [1, 2, 7, 7]);
      const w = g.input("w", [3, 2, 3, 3]);
      return { loss: probe(G.conv2d(x, w, { stride: 2 })), wrt: [x, w] };
    },
    { dtype: "float32" },
  ],
  [
    "maxPool2d 2x2",
    (g) => {
      const x = g.input("x", [2, 3, 4, 4]);
      return { loss: probe(G.maxPool2d(x, 2)), wrt: [x] };
    },
  ],
  [
    "maxPool2d 3x3 on 7x7 (floor)",
    (g) => {
      const x = g.input("x", [1, 2, 7, 7]);
      return { loss: probe(G.maxPool2d(x, 3)), wrt: [x] };
    },
  ],
  [
    "maxPool2d overlapping windows (3, stride 2)",
    (g) => {
      const x = g.input("x", [1, 1, 5, 5]);
      return { loss: probe(G.maxPool2d(x, 3, 2)), wrt: [x] };
    },
    { samples: 25 },
  ],
];

for (const [name, build, options] of cases) {
  Deno.test(`grad: ${name}`, async () => {
    await checkGradients(name, build, options);
  });
}
