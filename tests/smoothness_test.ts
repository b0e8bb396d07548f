import assert from "node:assert/strict";
import { compile } from "vega-lite";
import {
  authorsLayers,
  CIFARNET_LAYERS,
  fitL0L1,
  groupL1Ratio,
  type L0L1Fit,
  layerChartSpec,
  layersChartSpec,
  nanogptLayer,
  NEGLIGIBLE_L0,
  parseAuthorsLog,
  predictedStep,
} from "../src/smoothness/mod.ts";
import { LAYERS_TABLE, Rng, TableWriter } from "../src/trace/mod.ts";

const LOGS = new URL("fixtures/gluon-official-logs/", new URL("../../shared/", import.meta.url));
const CLI = new URL("../src/cli/smoothness.ts", import.meta.url);
const REPO = new URL("../", import.meta.url);

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}
const logsMissing = !exists(LOGS);
if (logsMissing) {
  console.warn(`smoothness_test: ${LOGS.pathname} is absent; skipping the tests on the authors' logs`);
}

function readLog(name: string) {
  return parseAuthorsLog(Deno.readTextFileSync(new URL(name, LOGS)), name);
}

/** Independent objective Σ (1 + λ[r > 0]) r², r = y - (L0 + L1 x). */
function objectiveOf(x: number[], y: number[], L0: number, L1: number, lambda: number): number {
  return x.reduce((sum, xk, k) => {
    const r = y[k] - L0 - L1 * xk;
    return sum + r * r * (r > 0 ? 1 + lambda : 1);
  }, 0);
}

/** Asserts the KKT conditions of min F(L0, L1) s.t. L0, L1 >= lb at the fit (F convex: they imply optimality). */
function assertKkt(x: number[], y: number[], fit: L0L1Fit, lambda: number, lb: number, label = "") {
  let dL0 = 0, dL1 = 0, scale = 0;
  x.forEach((xk, k) => {
    const r = y[k] - fit.L0 - fit.L1 * xk;
    const w = r > 0 ? 1 + lambda : 1;
    dL0 += -2 * w * r;
    dL1 += -2 * w * r * xk;
    scale += 2 * w * (Math.abs(y[k]) + Math.abs(fit.L0) + Math.abs(fit.L1 * xk)) * (Math.abs(xk) + 1);
  });
  const tol = 1e-9 * scale;
  assert.ok(fit.L0 >= lb && fit.L1 >= lb, `${label} infeasible: ${fit.L0}, ${fit.L1}`);
  for (const [value, derivative, name] of [[fit.L0, dL0, "L0"], [fit.L1, dL1, "L1"]] as const) {
    if (value > lb) {
      assert.ok(Math.abs(derivative) <= tol, `${label} dF/d${name} = ${derivative} at a free ${name}`);
    } else assert.ok(derivative >= -tol, `${label} dF/d${name} = ${derivative} < 0 at the bound`);
  }
  assert.ok(Math.abs(fit.objective - objectiveOf(x, y, fit.L0, fit.L1, lambda)) <= 1e-12 * scale + 1e-300);
}

/** Ordinary least squares by the uncentred normal equations. */
function ols(x: number[], y: number[]): { L0: number; L1: number } {
  const n = x.length;
  const sx = x.reduce((a, b) => a + b, 0), sy = y.reduce((a, b) => a + b, 0);
  const sxx = x.reduce((a, b) => a + b * b, 0), sxy = x.reduce((a, b, k) => a + b * y[k], 0);
  const det = n * sxx - sx * sx;
  return { L1: (n * sxy - sx * sy) / det, L0: (sxx * sy - sx * sxy) / det };
}

function noisyLine(seed: number, n: number, L0: number, L1: number, noise: number) {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, () => 0.02 + 0.1 * rng.uniform());
  const y = x.map((xk) => L0 + L1 * xk + noise * rng.normal());
  return { x, y };
}

Deno.test("fit: lambda = 0 equals ordinary least squares and recovers the line", () => {
  const { x, y } = noisyLine(1, 400, 0.5, 70, 0.02);
  const fit = fitL0L1(x, y, { lambda: 0 });
  const reference = ols(x, y);
  assert.ok(Math.abs(fit.L1 - reference.L1) <= 1e-9 * reference.L1, `${fit.L1} vs ${reference.L1}`);
  assert.ok(Math.abs(fit.L0 - reference.L0) <= 1e-9 * Math.abs(reference.L1));
  assert.ok(Math.abs(fit.L1 - 70) < 1, `L1 ${fit.L1}`);
  assert.ok(Math.abs(fit.L0 - 0.5) < 0.05, `L0 ${fit.L0}`);
  assertKkt(x, y, fit, 0, 1e-6);
});

Deno.test("fit: lambda > 0 shifts the line up, satisfies KKT, and reports above/mseRel/n", () => {
  const { x, y } = noisyLine(2, 300, 0.5, 70, 0.05);
  const plain = ols(x, y);
  const fit = fitL0L1(x, y, { lambda: 5 });
  assertKkt(x, y, fit, 5, 1e-6);
  const meanX = x.reduce((a, b) => a + b, 0) / x.length;
  assert.ok(fit.L0 + fit.L1 * meanX > plain.L0 + plain.L1 * meanX + 0.01, "penalised line is not above OLS");
  assert.ok(Math.abs(fit.L1 - 70) < 3, `L1 ${fit.L1}`);
  const above = x.filter((xk, k) => y[k] > fit.L0 + fit.L1 * xk).length / x.length;
  assert.equal(fit.above, above);
  assert.ok(above < 0.5, "the penalty should push most points below the line");
  const mse = x.reduce((s, xk, k) => s + ((y[k] - fit.L0 - fit.L1 * xk) / y[k]) ** 2, 0) / x.length;
  assert.ok(Math.abs(fit.mseRel - mse) <= 1e-12 * mse);
  assert.equal(fit.n, 300);
  // A larger penalty pushes it further up.
  const harder = fitL0L1(x, y, { lambda: 50 });
  assert.ok(harder.L0 + harder.L1 * meanX > fit.L0 + fit.L1 * meanX);
});

Deno.test("fit: bounds are honoured (negative slope, negative intercept, both)", () => {
  const lb = 1e-6;
  const x = [1, 2, 3, 4, 5, 6];
  const falling = x.map((xk) => 10 - xk);
  const f1 = fitL0L1(x, falling);
  assert.equal(f1.L1, lb);
  assert.ok(f1.L0 > lb);
  assertKkt(x, falling, f1, 5, lb, "falling");
  const belowZero = x.map((xk) => 2 * xk - 5);
  const f2 = fitL0L1(x, belowZero);
  assert.equal(f2.L0, lb);
  assert.ok(f2.L1 > lb);
  assertKkt(x, belowZero, f2, 5, lb, "negative intercept");
  const negative = x.map((xk) => -xk);
  const f3 = fitL0L1(x, negative, { lowerBound: 0.25 });
  assert.deepEqual([f3.L0, f3.L1], [0.25, 0.25]);
  assertKkt(x, negative, f3, 5, 0.25, "both");
});

Deno.test("fit: KKT holds on random problems (ties, mixed-sign x, bounds, large lambda)", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 300; trial++) {
    const n = 2 + rng.int(80);
    const lambda = [0, 0.5, 5, 1e4][rng.int(4)];
    const lb = [1e-6, -1, 0.5][rng.int(3)];
    const onGrid = rng.int(3) === 0;
    const x = Array.from({ length: n }, () => (onGrid ? rng.int(4) : 2 * rng.normal() + 3 * rng.int(2)));
    if (x.every((xk) => xk === x[0])) continue;
    const slope = 10 * rng.normal(), intercept = 3 * rng.normal(), noise = Math.exp(2 * rng.normal());
    const y = x.map((xk) => intercept + slope * xk + noise * rng.normal());
    assertKkt(x, y, fitL0L1(x, y, { lambda, lowerBound: lb }), lambda, lb, `trial ${trial}`);
  }
});

Deno.test("fit: dropFirst and input errors", () => {
  const x = [100, 1, 2, 3, 4], y = [1, 2, 4, 6, 8];
  assert.deepEqual(fitL0L1(x, y, { dropFirst: true }), fitL0L1(x.slice(1), y.slice(1)));
  assert.throws(() => fitL0L1([1, 2], [1]), /same length/);
  assert.throws(() => fitL0L1([1], [1]), /at least two points with distinct x/);
  assert.throws(() => fitL0L1([2, 2, 2], [1, 2, 3]), /distinct x.*x = 2/);
  assert.throws(() => fitL0L1([1, 2, 3], [1, NaN, 3]), /point 1 is not finite/);
  assert.throws(() => fitL0L1([1, 2], [1, 2], { lambda: -1 }), /lambda must be/);
});

Deno.test("authors' log: both step formats, validation losses, python numbers", () => {
  const nanogpt = parseAuthorsLog([
    "step:0/101 val_loss:16.0102 train_time:292ms step_avg:nanms",
    "step:50/101 val_loss:5.8121 train_time:40110ms",
    "step:50/101 (1) L_estimated: 2.5 norm_grad: 0.25",
    "step:50/101 (0) L_estimated: nan norm_grad: 1e-3",
    "step:100/101 (0) L_estimated: 3.0 norm_grad: 0.5",
    "step:100/101 (1) L_estimated: 2.0 norm_grad: 0.125",
  ].join("\n"));
  assert.equal(nanogpt.stepUnit, "iteration");
  assert.equal(nanogpt.totalSteps, 101);
  assert.deepEqual(nanogpt.validation, { step: [0, 50], loss: [16.0102, 5.8121] });
  assert.deepEqual(nanogpt.params.map((p) => p.param), [0, 1]);
  assert.deepEqual(nanogpt.params[0], { param: 0, step: [50, 100], lHat: [NaN, 3], normGrad: [0.001, 0.5] });
  const cnn = parseAuthorsLog("|  0  | 0.1 |\r\nstep:0.08 (3) L_estimated: 265.85 norm_grad: 101.38\r\n");
  assert.equal(cnn.stepUnit, "epoch");
  assert.equal(cnn.totalSteps, null);
  assert.deepEqual(cnn.params, [{ param: 3, step: [0.08], lHat: [265.85], normGrad: [101.38] }]);
});

Deno.test("authors' log: clear errors", () => {
  assert.throws(
    () => parseAuthorsLog("step:1/2 val_loss:3\n", "a.txt"),
    /a\.txt: no smoothness estimate lines.*L_estimated: <L_hat> norm_grad: <g>/,
  );
  assert.throws(
    () => parseAuthorsLog("x\nstep:1/2 (0) L_estimated: abc norm_grad: 1", "b.txt"),
    /b\.txt:2: cannot parse/,
  );
  assert.throws(
    () =>
      parseAuthorsLog("step:1/2 (0) L_estimated: 1 norm_grad: 1\nstep:0.5 (0) L_estimated: 1 norm_grad: 1"),
    /:2: mixes/,
  );
});

Deno.test("authors' log: cut lines, negative entries and a truncated end are errors naming the line", () => {
  const head = [
    "step:0/101 val_loss:16.0102 train_time:292ms step_avg:nanms",
    "step:50/101 (0) L_estimated: 2.5 norm_grad: 0.25",
    "step:50/101 (1) L_estimated: 2.25 norm_grad: 0.5",
  ];
  const parse = (...lines: string[]) => () => parseAuthorsLog([...head, ...lines].join("\n"), "log.txt");
  assert.equal(parseAuthorsLog(head.join("\n")).params.length, 2);
  // Cut inside the line, before "L_estimated" or inside a number as Python never prints it.
  assert.throws(
    parse("step:100/101 (0) L_est"),
    /log\.txt:4: cannot parse estimate line "step:100\/101 \(0\) L_est" \(cut short/,
  );
  assert.throws(
    parse("step:100/101 (0) L_estimated: 3.0 norm_grad: 0."),
    /log\.txt:4: cannot parse estimate line/,
  );
  assert.throws(parse("step:100/101 val_lo"), /log\.txt:4: cannot parse step line/);
  assert.throws(parse("step:100/1"), /log\.txt:4: cannot parse step line "step:100\/1"/);
  assert.throws(
    parse("step:100/10 (0) L_estimated: 3.0 norm_grad: 0.5"),
    /log\.txt:4: step total \/10 differs .* \/101/,
  );
  assert.throws(
    parse("step:100/101 (0) L_estimated: -3.0 norm_grad: 0.5"),
    /log\.txt:4: L_estimated is -3, negative; steps and both norms are never negative/,
  );
  assert.throws(
    parse("step:100/101 (1) L_estimated: 3.0 norm_grad: -0.5"),
    /log\.txt:4: norm_grad is -0\.5, negative/,
  );
  // A log that ends after parameter 0 of step 100: parameter 1 has one estimate fewer.
  assert.throws(
    parse("step:100/101 (0) L_estimated: 3.0 norm_grad: 0.5"),
    /log\.txt:4: the log ends inside a step's estimates: parameters 1 \(1\) have fewer estimates than the others' 2\. The file is truncated/,
  );
});

Deno.test("layer names: modded-nanogpt order and the authors' CifarNet", () => {
  const names = [24, 25, 26, 27, 28, 29, 72].map((p) => nanogptLayer(p).name);
  assert.deepEqual(names, [
    "h.4.attn.c_q",
    "h.4.attn.c_k",
    "h.4.attn.c_v",
    "h.4.attn.c_proj",
    "h.4.mlp.c_fc",
    "h.4.mlp.c_proj",
    "wte=lm_head",
  ]);
  assert.equal(nanogptLayer(72).group, "embed");
  assert.equal(nanogptLayer(71).name, "h.11.mlp.c_proj");
  assert.equal(nanogptLayer(12, 2).name, "wte=lm_head");
  assert.throws(() => nanogptLayer(73), /outside 0\.\.72/);
  // The indices the authors' CNN notebook labels.
  const labelled: Record<number, string> = {
    1: "layers.1.conv2",
    2: "layers.2.conv1",
    5: "layers.3.conv2",
    8: "layers.1.norm2.bias",
    9: "layers.2.norm1.bias",
    13: "head",
  };
  for (const [index, name] of Object.entries(labelled)) {
    assert.equal(CIFARNET_LAYERS[Number(index)].name, name);
  }
  assert.equal(CIFARNET_LAYERS.length, 14);
  const odd = parseAuthorsLog(
    "step:1/2 (0) L_estimated: 1 norm_grad: 1\nstep:1/2 (2) L_estimated: 1 norm_grad: 1",
  );
  assert.equal(authorsLayers(odd), null);
});

Deno.test("predicted step: 1/L1 where L0 is negligible, Gluon's radius at the median otherwise", () => {
  const g = [0.04, 0.01, 0.02, 0.03];
  const medianG = 0.025;
  assert.deepEqual(predictedStep({ L0: 1e-6, L1: 70 }, g), {
    step: 1 / 70,
    rule: "1/L1",
    medianGradDual: medianG,
  });
  const atThreshold = NEGLIGIBLE_L0 * 70 * medianG;
  assert.equal(predictedStep({ L0: atThreshold, L1: 70 }, g).rule, "1/L1");
  const big = predictedStep({ L0: 0.5, L1: 70 }, g);
  assert.equal(big.rule, "gluon-at-median-grad");
  assert.ok(Math.abs(big.step - medianG / (0.5 + 70 * medianG)) < 1e-15);
  const layers = [
    { group: "hidden", L1: 1 },
    { group: "hidden", L1: 3 },
    { group: "hidden", L1: 2 },
    { group: "embed", L1: 0.5 },
    { group: null, L1: 100 },
  ];
  assert.equal(groupL1Ratio(layers, "hidden", "embed"), 4);
  assert.equal(groupL1Ratio(layers, "hidden", "head"), null);
});

Deno.test("chart: Vega-Lite specs compile and carry L-hat and the fitted line", () => {
  const layer = {
    name: "h.4.attn.c_q",
    step: [50, 100, 150],
    lHat: [2, 3, 4],
    gradDual: [0.02, 0.04, 0.05],
    fit: { L0: 0.1, L1: 70, mseRel: 0.00391 },
  };
  const single = layerChartSpec(layer) as any;
  assert.match(single.$schema, /vega-lite\/v6/);
  assert.equal(single.title.text, "h.4.attn.c_q");
  assert.match(single.title.subtitle, /MSE_rel: 0\.0039/);
  const rows = single.data.values;
  assert.equal(rows.length, 6);
  const fitted = rows.filter((r: any) => r.series !== "L̂").map((r: any) => r.value);
  assert.deepEqual(fitted, layer.gradDual.map((g) => 0.1 + 70 * g));
  assert.deepEqual(rows.filter((r: any) => r.series === "L̂").map((r: any) => r.value), layer.lHat);
  assert.deepEqual(single.encoding.color.scale.range, ["green", "blue"]);
  const faceted = layersChartSpec([layer, { ...layer, name: "wte=lm_head" }], { stepTitle: "epoch" }) as any;
  assert.equal(faceted.data.values.length, 12);
  assert.equal(faceted.spec.encoding.x.title, "epoch");
  for (const spec of [single, faceted]) assert.ok(compile(spec).spec.marks);
});

Deno.test({
  name: "authors' NanoGPT log: the fit reproduces the notebook (L0L1-nanogpt.ipynb) and the re-fit MSE_rel",
  ignore: logsMissing,
  fn() {
    const log = readLog("nanogpt_unscion.txt");
    assert.equal(log.params.length, 73);
    assert.equal(log.totalSteps, 5001);
    assert.ok(log.params.every((p) => p.step.length === 99 && p.step[0] === 50 && p.step[98] === 4950));
    assert.equal(log.validation.loss.length, 100);
    const layers = authorsLayers(log)!;
    const notebook: Record<number, [number, number]> = {
      24: [68.4167, 0.0039],
      25: [70.5126, 0.0090],
      26: [71.1571, 0.0128],
      27: [68.1652, 0.0050],
      28: [69.9247, 0.0019],
      29: [70.8654, 0.0029],
      72: [1.3305, 0.0005],
    };
    for (const [index, [L1, mseRel]] of Object.entries(notebook)) {
      const { normGrad, lHat } = log.params[Number(index)];
      const fit = fitL0L1(normGrad, lHat);
      assert.ok(Math.abs(fit.L1 / L1 - 1) < 0.005, `${layers[Number(index)].name}: L1 ${fit.L1} vs ${L1}`);
      assert.equal(fit.L0, 1e-6);
      assert.ok(Math.abs(fit.mseRel - mseRel) <= 5e-5, `mse_rel ${fit.mseRel} vs ${mseRel}`);
      assertKkt(normGrad, lHat, fit, 5, 1e-6, `param ${index}`);
    }
  },
});

Deno.test({
  name: "authors' CNN logs: the stochastic fit reproduces the notebook (L0L1-cnn.ipynb)",
  ignore: logsMissing,
  fn() {
    const log = readLog("cnn_stochastic.txt");
    assert.equal(log.stepUnit, "epoch");
    assert.equal(authorsLayers(log)?.length, 14);
    const notebook: Record<number, [number, number]> = {
      1: [2.9594, 1e-6],
      2: [2.6405, 15.1609],
      5: [1.7973, 179.2519],
      8: [3.3090, 47.7779],
      9: [2.9935, 62.2610],
      13: [0.0303, 0.0095],
    };
    for (const [index, [L1, L0]] of Object.entries(notebook)) {
      const { normGrad, lHat } = log.params[Number(index)];
      const fit = fitL0L1(normGrad, lHat);
      assert.ok(Math.abs(fit.L1 / L1 - 1) < 0.005, `param ${index}: L1 ${fit.L1} vs ${L1}`);
      assert.ok(Math.abs(fit.L0 - L0) <= 0.005 * L0 + 1e-4, `param ${index}: L0 ${fit.L0} vs ${L0}`);
    }
    const fullBatch = readLog("cnn_full_batch.txt");
    assert.equal(fullBatch.params.length, 14);
    // The notebook's values for layers.1.conv2 and layers.2.conv1 of the full-batch log.
    for (const [index, L1] of [[1, 3.1964], [2, 2.8131]]) {
      const fit = fitL0L1(fullBatch.params[index].normGrad, fullBatch.params[index].lHat);
      assert.ok(Math.abs(fit.L1 / L1 - 1) < 0.005, `full batch param ${index}: ${fit.L1} vs ${L1}`);
    }
  },
});

async function runCli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI.pathname, ...args],
    cwd: REPO.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test({
  name: "cli: --json on the authors' NanoGPT log, and --chart",
  ignore: logsMissing,
  async fn() {
    const chart = await Deno.makeTempFile({ suffix: ".vl.json" });
    try {
      const log = new URL("nanogpt_unscion.txt", LOGS).pathname;
      const { code, stdout, stderr } = await runCli(
        log,
        "--json",
        "--used",
        "hidden=0.018,embed=1.08",
        "--chart",
        chart,
      );
      assert.equal(code, 0, stderr);
      const rows = JSON.parse(stdout);
      assert.equal(rows.length, 73);
      const keys = ["param", "layer", "L0", "L1", "mse_rel", "above", "predicted_step", "used_step"];
      for (const row of rows) assert.deepEqual(Object.keys(row), keys);
      const q = rows[24];
      assert.equal(q.param, 24);
      assert.equal(q.layer, "h.4.attn.c_q");
      assert.ok(Math.abs(q.L1 / 68.4167 - 1) < 0.005);
      assert.equal(q.L0, 1e-6);
      assert.equal(q.predicted_step, 1 / q.L1);
      assert.equal(q.used_step, 0.018);
      assert.ok(q.above > 0 && q.above < 0.5 && q.mse_rel < 0.01);
      const wte = rows[72];
      assert.equal(wte.layer, "wte=lm_head");
      assert.ok(Math.abs(wte.L1 / 1.3305 - 1) < 0.005);
      assert.equal(wte.used_step, 1.08);
      const spec = JSON.parse(await Deno.readTextFile(chart));
      assert.equal(spec.data.values.length, 73 * 99 * 2);
      const table = await runCli(log, "--used", "nanogpt-unscion");
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /h\.4\.attn\.c_q\s+hidden\s+99\s+0\.000001\s+68\.4167/);
      assert.match(table.stdout, /L1 ratio hidden\/embed \(medians\): 52\.4/);
    } finally {
      await Deno.remove(chart);
    }
  },
});

Deno.test("cli: bad input gives a one-line error and a non-zero exit", async () => {
  const missing = await runCli("/nonexistent/log.txt");
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  assert.match(missing.stderr, /cannot read \/nonexistent\/log\.txt: no such file or directory/);
  const empty = await Deno.makeTempFile();
  try {
    const noEstimates = await runCli(empty);
    assert.equal(noEstimates.code, 1);
    assert.match(noEstimates.stderr, /no smoothness estimate lines found; expected lines like/);
  } finally {
    await Deno.remove(empty);
  }
  const directory = await runCli(new URL("tests/", REPO).pathname);
  assert.equal(directory.code, 1);
  assert.match(directory.stderr, /has no table "layers"/);
  const badOption = await runCli("x.txt", "--lambda=-2");
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /--lambda must be a number >= 0/);
  const unknown = await runCli("x.txt", "--lambda", "-2", "--bogus");
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim().split("\n").length, 1);
  const badUsed = await runCli("x.txt", "--used", "hidden=fast");
  assert.equal(badUsed.code, 2);
  assert.match(badUsed.stderr, /--used: "hidden=fast"/);
  const help = await runCli("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: deno task smoothness/);
});

Deno.test("cli: a run directory's layers table is fitted per layer, with the recorded radius as used step", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rng = new Rng(5);
    const layers = [
      { layer: "h.0.attn.c_q", role: "hidden", norm: "spectral", L0: 1e-6, L1: 70, radius: 0.018 },
      { layer: "wte", role: "tied_embedding", norm: "sign", L0: 0.01, L1: 1.3, radius: 1.08 },
    ];
    const series = layers.map(() => ({ x: [] as number[], y: [] as number[] }));
    const writer = await TableWriter.open(dir, LAYERS_TABLE, { flushRows: 7 });
    for (let step = 0; step < 40; step++) {
      layers.forEach((l, i) => {
        const measured = step % 2 === 1;
        const x = 0.02 + 0.1 * rng.uniform();
        const y = l.L0 + l.L1 * x * (1 + 0.05 * rng.normal());
        if (measured) {
          series[i].x.push(x);
          series[i].y.push(y);
        }
        writer.append({
          step,
          layer: l.layer,
          role: l.role,
          norm: l.norm,
          grad_dual: x,
          momentum_dual: x,
          update_primal: l.radius,
          radius: l.radius,
          l_hat: measured ? y : null,
          grad_dual_next: measured ? x : null,
        });
      });
    }
    writer.close();
    const { code, stdout, stderr } = await runCli(dir, "--json");
    assert.equal(code, 0, stderr);
    const rows = JSON.parse(stdout);
    assert.deepEqual(rows.map((r: any) => [r.param, r.layer, r.used_step]), [[0, "h.0.attn.c_q", 0.018], [
      1,
      "wte",
      1.08,
    ]]);
    rows.forEach((row: any, i: number) => {
      const fit = fitL0L1(series[i].x, series[i].y);
      assert.deepEqual([row.L0, row.L1, row.mse_rel, row.above], [fit.L0, fit.L1, fit.mseRel, fit.above]);
      assert.ok(Math.abs(row.L1 / layers[i].L1 - 1) < 0.1, `${row.layer}: L1 ${row.L1}`);
    });
    const table = await runCli(dir, "--used", "embed=2");
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /hidden: 1 layer\(s\).*used median 0\.018/);
    assert.match(table.stdout, /embed: 1 layer\(s\).*used median 2$/m);
    assert.match(table.stdout, /L1 ratio hidden\/embed/);
    const unmeasured = await Deno.makeTempDir({ dir });
    const empty = await TableWriter.open(unmeasured, LAYERS_TABLE);
    const base = { layer: "w", role: "hidden", norm: "spectral", grad_dual: 1, momentum_dual: 1 };
    empty.append({ ...base, step: 0, update_primal: 1, radius: 1 });
    empty.close();
    const none = await runCli(unmeasured);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no smoothness estimates \(l_hat is null on every row\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
