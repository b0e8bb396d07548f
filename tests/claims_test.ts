import assert from "node:assert/strict";
import {
  evaluateClaim,
  evaluateClaims,
  formatNumber,
  loadPaperClaims,
  type Measured,
  type PaperClaim,
  parseClaimsFile,
  type SweepPoint,
} from "../src/report/claims.ts";

const gluon = await loadPaperClaims("2505.13416");
const crawshaw = await loadPaperClaims("2510.09827");
const allClaims = [...gluon.claims, ...crawshaw.claims];

function claim(id: string): PaperClaim {
  const c = allClaims.find((c) => c.id === id);
  if (!c) throw new Error(`fixture has no claim ${id}`);
  return c;
}

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

Deno.test("fixtures: both paper files validate and hold the claims the suites compare against", () => {
  assert.equal(gluon.paper.arxiv, "2505.13416");
  assert.equal(crawshaw.paper.arxiv, "2510.09827");
  for (const file of [gluon, crawshaw]) {
    for (const c of file.claims) assert.equal(c.paper, file.paper.arxiv, `${c.id} names the wrong paper`);
  }
  for (
    const id of [
      "gluon.nanogpt.L0_near_zero",
      "gluon.nanogpt.hidden_L1",
      "gluon.nanogpt.embedding_L1",
      "gluon.nanogpt.hidden_embedding_L1_ratio",
      "gluon.nanogpt.radius_hidden",
      "gluon.nanogpt.radius_embedding",
      "gluon.nanogpt.adamw_fit_worse",
      "gluon.cnn.L0_near_zero",
      "gluon.cnn.body_L1",
      "gluon.cnn.head_L1",
      "gluon.cnn.body_head_L1_ratio",
      "crawshaw.table4.ordering",
      "crawshaw.table4.muonadam_momo",
      "crawshaw.table4.muonadam",
      "crawshaw.table4.muonmax_momo",
      "crawshaw.fig1.muonadam_momo_wider_than_muonadam",
      "crawshaw.momo.muonmax_momo_wider_than_muonmax",
      "crawshaw.muonmax_wider_than_muonadam",
      "crawshaw.fig5.muonadam_beats_muonmax",
      "crawshaw.timing.stale_nuclear_overhead",
      "crawshaw.timing.exact_nuclear_overhead",
    ]
  ) claim(id);
  // Table 4 comes from a secondary source: it must stay tagged [R] and only [R].
  for (
    const id of ["crawshaw.table4.muonadam_momo", "crawshaw.table4.muonadam", "crawshaw.table4.muonmax_momo"]
  ) {
    assert.deepEqual(claim(id).provenance, ["[R]"]);
    assert.deepEqual(claim(id).comparable_at, ["paper"]);
  }
  // The ordering claim names the optimizers in the order of the absolute Table 4 values.
  const order = claim("crawshaw.table4.ordering");
  assert.equal(order.test.kind, "ordering");
  const means = ["muonadam_momo", "muonadam", "muonmax_momo"].map((n) =>
    claim(`crawshaw.table4.${n}`).value as number
  );
  assert.deepEqual([...means].sort((a, b) => a - b), means);
  // Radius ratios agree with the stepsizes quoted in their source text.
  close(claim("gluon.nanogpt.radius_hidden").value as number, 0.014 / 0.018, 0.01);
  close(claim("gluon.nanogpt.radius_embedding").value as number, 1 / 1.3305 / 1.08, 0.01);
});

Deno.test("parseClaimsFile: rejects malformed fixtures with a message naming the claim and the fix", () => {
  const good = structuredClone(gluon);
  const mutate = (f: (c: Record<string, unknown>) => void) => {
    const doc = structuredClone(good) as unknown as { claims: Record<string, unknown>[] };
    f(doc.claims[1]);
    return () => parseClaimsFile(doc, "bad.json");
  };
  assert.throws(
    mutate((c) => c.provenance = ["[X]"]),
    /bad\.json: claim gluon\.nanogpt\.hidden_L1: unknown provenance tag "\[X\]"/,
  );
  assert.throws(
    mutate((c) => c.test = { kind: "approx", rel_tol: 0.1, abs_tol: 0.1 }),
    /exactly one of "rel_tol" and "abs_tol"/,
  );
  assert.throws(mutate((c) => c.id = "gluon.nanogpt.L0_near_zero"), /duplicate id/);
  assert.throws(
    mutate((c) => c.comparable_at = ["huge"]),
    /"comparable_at" must be a non-empty array of tiny, small, paper/,
  );
  assert.throws(mutate((c) => c.value = [71, 67]), /number or \[lo, hi\] with lo <= hi/);
  assert.throws(mutate((c) => c.test = { kind: "guess" }), /unknown test kind "guess"/);
  assert.throws(mutate((c) => delete c.source), /"source" must be a non-empty string/);
  assert.doesNotThrow(() => parseClaimsFile(good, "good.json"));
});

Deno.test("approx (rel_tol): holds inside the widened interval, fails outside, with the gap in the reason", () => {
  const c = claim("gluon.nanogpt.hidden_L1"); // [67, 71], rel_tol 0.15
  const [lo, hi] = c.value as [number, number];
  const tol = (c.test as { rel_tol: number }).rel_tol;
  const at = (v: number): Measured => ({
    scale: "paper",
    measurement: { kind: "scalar", value: { mean: v } },
  });
  assert.equal(evaluateClaim(c, at(lo * (1 - tol) + 1e-9)).verdict, "holds");
  assert.equal(evaluateClaim(c, at(hi * (1 + tol) - 1e-9)).verdict, "holds");
  assert.equal(evaluateClaim(c, at(lo * (1 - tol) - 1e-6)).verdict, "does not hold");
  const high = evaluateClaim(c, at(hi * 1.2));
  assert.equal(high.verdict, "does not hold");
  assert.equal(high.reason, `${formatNumber(hi * 1.2)} is 20% above 67–71, outside the 15% tolerance`);
  assert.equal(high.paper, "67–71");
  assert.equal(high.difference, `+${formatNumber(hi * 0.2)} (+20%)`);
  assert.equal(evaluateClaim(c, at(69)).difference, "0 (0%)", "inside the interval there is no gap");
});

Deno.test("approx (abs_tol): Table 4 loss holds within ±0.03 and is not comparable below paper scale", () => {
  const c = claim("crawshaw.table4.muonadam"); // 3.5592 ± 0.0014, abs_tol 0.03
  const v = (mean: number, scale: "tiny" | "paper" = "paper"): Measured => ({
    scale,
    setting: "a 0.8M-param char model on Moby-Dick",
    measurement: { kind: "scalar", value: { mean, std: 0.002, n: 3 } },
  });
  const ok = evaluateClaim(c, v(3.58));
  assert.equal(ok.verdict, "holds");
  assert.equal(ok.paper, "3.5592 ± 0.0014");
  assert.equal(ok.ours, "3.58 ± 0.002 (n=3)");
  assert.equal(
    ok.difference,
    `+${formatNumber(3.58 - 3.5592)} (+${formatNumber(((3.58 - 3.5592) / 3.5592) * 100)}%)`,
  );
  assert.equal(evaluateClaim(c, v(3.5592 + 0.0301)).verdict, "does not hold");
  const tiny = evaluateClaim(c, v(1.4, "tiny"));
  assert.equal(tiny.verdict, "not comparable at this scale");
  assert.equal(tiny.scale, "tiny");
  assert.equal(tiny.ours, "1.4 ± 0.002 (n=3)", "our value is shown even where it is not judged");
  assert.equal(tiny.difference, "–", "no difference is shown across scales");
  assert.match(
    tiny.reason,
    /^absolute final validation loss at the best LR of a 0\.8M-param char model on Moby-Dick is not comparable with GPT2-Small 124M/,
  );
  const none = evaluateClaim(c, undefined);
  assert.equal(none.verdict, "no data");
  assert.equal(evaluateClaim(c, v(NaN)).verdict, "no data");
});

Deno.test("near_zero: every |L0| must be within rel_tol of its reference; the worst layer is named", () => {
  const c = claim("gluon.nanogpt.L0_near_zero");
  const tol = (c.test as { rel_tol: number }).rel_tol;
  const values = {
    "h.0.attn.c_q": { value: 1e-6, reference: 3.4 },
    "h.0.mlp.c_fc": { value: 0.45, reference: 3.9 },
    "wte": { value: 0, reference: 0.2 },
  };
  const m = (v: Record<string, { value: number; reference: number }>): Measured => ({
    scale: "tiny",
    measurement: { kind: "relative", values: v },
  });
  const ok = evaluateClaim(c, m(values));
  assert.equal(ok.verdict, "holds"); // qualitative: evaluated at tiny scale
  assert.match(
    ok.reason,
    new RegExp(`largest \\|value\\| is ${formatNumber(0.45 / 3.9)} of .* \\(h\\.0\\.mlp\\.c_fc\\)`),
  );
  const bad = evaluateClaim(c, m({ ...values, wte: { value: 0.2 * tol * 1.5, reference: 0.2 } }));
  assert.equal(bad.verdict, "does not hold");
  assert.match(bad.reason, /\(wte\), above the 0\.2 tolerance/);
  assert.equal(evaluateClaim(c, m({})).verdict, "no data");
});

Deno.test("ratio: within a factor of the paper value at any scale; missing names give no data", () => {
  const c = claim("gluon.nanogpt.hidden_embedding_L1_ratio"); // 50, factor 2
  const m = (hidden: number, embedding: number): Measured => ({
    scale: "small",
    measurement: {
      kind: "named",
      values: { hidden_L1: { mean: hidden }, embedding_L1: { mean: embedding } },
    },
  });
  const ok = evaluateClaim(c, m(69.1, 1.67));
  assert.equal(ok.verdict, "holds");
  assert.equal(ok.reason, `ratio ${formatNumber(69.1 / 1.67)} is within ×2 of 50`);
  assert.equal(ok.ours, `${formatNumber(69.1 / 1.67)} = 69.1 / 1.67`);
  const high = evaluateClaim(c, m(69, 0.5));
  assert.equal(high.verdict, "does not hold");
  assert.equal(high.reason, `ratio 138 is ×${formatNumber(138 / 50)} above 50 (tolerance ×2)`);
  assert.equal(high.difference, `×${formatNumber(138 / 50)}`);
  assert.equal(evaluateClaim(c, m(24.9, 1)).verdict, "does not hold"); // 24.9 < 50 / 2
  assert.equal(evaluateClaim(c, m(25.1, 1)).verdict, "holds");
  const missing = evaluateClaim(c, {
    scale: "tiny",
    measurement: { kind: "named", values: { hidden_L1: { mean: 3 } } },
  });
  assert.equal(missing.verdict, "no data");
  assert.equal(missing.reason, "no finite value for embedding_L1");
});

Deno.test("ordering: Table 4 order holds or fails, and a flip within seed noise is said so", () => {
  const c = claim("crawshaw.table4.ordering");
  const m = (a: number, b: number, mm: number, std?: number): Measured => ({
    scale: "tiny",
    measurement: {
      kind: "named",
      values: {
        "muonadam-momo": { mean: a, std },
        "muonadam": { mean: b, std },
        "muonmax-momo": { mean: mm, std },
      },
    },
  });
  const ok = evaluateClaim(c, m(1.50, 1.51, 1.55));
  assert.equal(ok.verdict, "holds");
  assert.equal(ok.reason, "muonadam-momo 1.5 < muonadam 1.51 < muonmax-momo 1.55 as expected");
  assert.equal(ok.difference, `+${formatNumber(1.51 - 1.5)}, +${formatNumber(1.55 - 1.51)}`);
  const flipped = evaluateClaim(c, m(1.50, 1.56, 1.55));
  assert.equal(flipped.verdict, "does not hold");
  assert.equal(flipped.reason, "expected muonadam < muonmax-momo, got 1.56 vs 1.55");
  const noisy = evaluateClaim(c, m(1.512, 1.51, 1.55, 0.01));
  assert.equal(noisy.verdict, "does not hold");
  assert.match(noisy.reason, /the gap 0\.002 is within the seed std 0\.014142/);
  const desc = claim("gluon.nanogpt.hidden_above_embedding_L1"); // descending
  const named = (h: number, e: number): Measured => ({
    scale: "tiny",
    measurement: { kind: "named", values: { hidden_L1: { mean: h }, embedding_L1: { mean: e } } },
  });
  assert.equal(evaluateClaim(desc, named(5, 1)).verdict, "holds");
  assert.equal(evaluateClaim(desc, named(1, 5)).verdict, "does not hold");
  assert.equal(evaluateClaim(desc, named(3, 3)).verdict, "does not hold"); // a tie is not an ordering
});

Deno.test("wider: basin widths decide the verdict, with censored (grid-edge) basins flagged", () => {
  const c = claim("crawshaw.fig1.muonadam_momo_wider_than_muonadam"); // default 5% tolerance
  const grid = [1e-4, 1e-3, 1e-2, 1e-1];
  const sweep = (losses: (number | null)[]): SweepPoint[] => grid.map((lr, i) => ({ lr, loss: losses[i] }));
  // MuonAdam: best 3.0 at 1e-3, threshold 3.15; 1e-4 at 3.45 -> low edge 10^(-4 + 0.3/0.45) = 10^-3.333;
  // 1e-2 at 3.3 -> high edge 10^(-2 - 0.15/0.3) = 10^-2.5; width 0.8333 decades.
  // MuonAdam-Momo: 3.05, 3.0, 3.02, then diverged: 1e-4 .. 1e-2, width 2 decades, open below.
  const m = (momo: (number | null)[], base: (number | null)[]): Measured => ({
    scale: "small",
    measurement: { kind: "sweeps", sweeps: { "muonadam-momo": sweep(momo), "muonadam": sweep(base) } },
  });
  const v = evaluateClaim(c, m([3.05, 3.0, 3.02, null], [3.45, 3.0, 3.3, null]));
  assert.equal(v.verdict, "holds");
  assert.equal(v.ours, `2 dec vs ${formatNumber(-2.5 - (-4 + 0.3 / 0.45))} dec`);
  assert.match(
    v.reason,
    /loss within 5% of best\) of muonadam-momo spans 2 dec, wider than muonadam at 0\.83333 dec; the basin of muonadam-momo reaches the grid edge/,
  );
  const swapped = evaluateClaim(c, m([3.45, 3.0, 3.3, null], [3.05, 3.0, 3.02, null]));
  assert.equal(swapped.verdict, "does not hold");
  assert.equal(swapped.difference, `-${formatNumber(2 - (-2.5 - (-4 + 0.3 / 0.45)))} dec`);
  assert.equal(
    evaluateClaim(c, m([null, null, null, null], [3, 3, 3, 3])).reason,
    "every run of muonadam-momo diverged",
  );
  const noSweep = evaluateClaim(c, {
    scale: "tiny",
    measurement: { kind: "sweeps", sweeps: { muonadam: sweep([3, 3, 3, 3]) } },
  });
  assert.equal(noSweep.reason, "no LR sweep for muonadam-momo");
});

Deno.test("evaluateClaims: keeps fixture order, flags unknown ids and mismatched measurement kinds", () => {
  const verdicts = evaluateClaims(crawshaw.claims, {
    "crawshaw.fig5.muonadam_beats_muonmax": {
      scale: "tiny",
      measurement: { kind: "named", values: { muonadam: { mean: 1.4 }, muonmax: { mean: 1.5 } } },
    },
  });
  assert.deepEqual(verdicts.map((v) => v.id), crawshaw.claims.map((c) => c.id));
  const byId = new Map(verdicts.map((v) => [v.id, v]));
  assert.equal(byId.get("crawshaw.fig5.muonadam_beats_muonmax")!.verdict, "holds");
  assert.equal(byId.get("crawshaw.table4.ordering")!.verdict, "no data");
  assert.throws(
    () =>
      evaluateClaims(crawshaw.claims, {
        "crawshaw.tabel4.ordering": { scale: "tiny", measurement: { kind: "named", values: {} } },
      }),
    /unknown claim ids: crawshaw\.tabel4\.ordering/,
  );
  assert.throws(
    () =>
      evaluateClaim(claim("crawshaw.table4.ordering"), {
        scale: "tiny",
        measurement: { kind: "scalar", value: { mean: 1 } },
      }),
    /an? "ordering" test needs a "named" measurement, got "scalar"/,
  );
});

Deno.test("formatNumber: five significant digits, exponent outside [1e-3, 1e5)", () => {
  assert.equal(formatNumber(3.5546), "3.5546");
  assert.equal(formatNumber(41.37724), "41.377");
  assert.equal(formatNumber(0.0303), "0.0303");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(3.6e-4), "3.60e-4");
  assert.equal(formatNumber(123456), "1.23e+5");
  assert.equal(formatNumber(NaN), "NaN");
});
