import assert from "node:assert/strict";
import { formatNumber, type SweepPoint } from "../src/report/claims.ts";
import { allClaims, claim } from "./helpers/paper_claims.ts";
import {
  evaluateClaim,
  evaluateClaims,
  type Measured,
  type Verdict,
  verdictsJson,
  withHalfHorizon,
} from "../src/report/verdicts.ts";
import { Rng } from "../src/trace/seeds.ts";

/** `n` seeded normal samples (deterministic): synthetic per-seed results. */
function seeds(n: number, mean: number, std: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => mean + std * rng.normal());
}

const fig5 = claim("crawshaw.fig5.muonadam_beats_muonmax"); // ascending: muonadam < muonmax
const twoOptimizers = (muonadam: number[], muonmax: number[]): Measured => ({
  scale: "tiny",
  measurement: { kind: "named", values: { muonadam, muonmax } },
});

Deno.test("done-when: identical optimizers with noise are inconclusive; a clear separation holds with p < 0.01", () => {
  // Two optimizers drawn from the same distribution (final loss 3.0 ± 0.02 over 5 seeds).
  for (const seed of [1, 2, 3]) {
    const same = evaluateClaim(
      fig5,
      twoOptimizers(seeds(5, 3.0, 0.02, seed), seeds(5, 3.0, 0.02, seed + 100)),
    );
    assert.equal(same.verdict, "inconclusive", same.reason);
    assert.ok(same.stats!.p! >= 0.05, `p = ${same.stats!.p}`);
    const [lo, hi] = same.stats!.ci!;
    assert.ok(lo <= 0 && hi >= 0, "the interval includes no difference");
  }
  // A clear separation: muonmax 0.2 nats worse, seed noise 0.01.
  const clear = evaluateClaim(fig5, twoOptimizers(seeds(5, 3.0, 0.01, 7), seeds(5, 3.2, 0.01, 8)));
  assert.equal(clear.verdict, "holds", clear.reason);
  assert.ok(clear.stats!.p! < 0.01, `p = ${clear.stats!.p}`);
  assert.equal(clear.stats!.method, "Welch t");
  assert.equal(clear.stats!.n, 5);
  assert.ok(clear.stats!.ci![0] > 0.15 && clear.stats!.ci![1] < 0.25, `${clear.stats!.ci}`);
  // The same separation the other way round does not hold.
  const reversed = evaluateClaim(fig5, twoOptimizers(seeds(5, 3.2, 0.01, 7), seeds(5, 3.0, 0.01, 8)));
  assert.equal(reversed.verdict, "does not hold", reversed.reason);
});

Deno.test("done-when: one seed (or two) is never holds, however large the gap", () => {
  for (const n of [1, 2]) {
    const v = evaluateClaim(fig5, twoOptimizers(seeds(n, 1.0, 0.001, 1), seeds(n, 5.0, 0.001, 2)));
    assert.equal(v.verdict, "inconclusive");
    assert.match(v.reason, new RegExp(`${n} seeds? cannot decide a claim \\(at least 3 needed\\)`));
    assert.equal(v.stats!.n, n);
    assert.equal(v.stats!.pHolm, null, "not in the Holm family");
  }
  // Every claim kind: one seed is inconclusive.
  const one: Record<string, Measured> = {
    "gluon.nanogpt.hidden_embedding_L1_ratio": {
      scale: "tiny",
      measurement: { kind: "named", paired: true, values: { hidden_L1: [60], embedding_L1: [1.2] } },
    },
    "gluon.nanogpt.L0_near_zero": {
      scale: "tiny",
      measurement: { kind: "relative", seeds: [{ a: { value: 0, reference: 1 } }] },
    },
  };
  for (const v of evaluateClaims(allClaims, one).filter((v) => v.id in one)) {
    assert.equal(v.verdict, "inconclusive", v.id);
  }
});

Deno.test("approx: the interval must lie inside the widened paper value; not comparable below paper scale", () => {
  const c = claim("crawshaw.table4.muonadam"); // 3.5592 ± 0.0014, abs_tol 0.03 -> [3.5292, 3.5892]
  const at = (values: number[], scale: "tiny" | "paper" = "paper"): Measured => ({
    scale,
    setting: "a 0.8M-param char model on Moby-Dick",
    measurement: { kind: "scalar", values },
  });
  const ok = evaluateClaim(c, at([3.557, 3.560, 3.563]));
  assert.equal(ok.verdict, "holds", ok.reason);
  assert.equal(ok.paper, "3.5592 ± 0.0014");
  assert.match(ok.ours, /^3\.56 \[3\.5\d+, 3\.5\d+\] \(n=3\)$/);
  assert.equal(
    ok.difference,
    `+${formatNumber(3.56 - 3.5592)} (+${formatNumber(((3.56 - 3.5592) / 3.5592) * 100)}%)`,
  );
  // Mean inside the range but the interval crosses its upper end: inconclusive.
  const wide = evaluateClaim(c, at([3.50, 3.60, 3.64]));
  assert.equal(wide.verdict, "inconclusive", wide.reason);
  assert.match(wide.reason, /do not settle whether it is within ±0\.03 of 3\.5592/);
  assert.equal(evaluateClaim(c, at([3.70, 3.71, 3.69])).verdict, "does not hold");
  const tiny = evaluateClaim(c, at([1.4, 1.41, 1.39], "tiny"));
  assert.equal(tiny.verdict, "not comparable at this scale");
  assert.match(tiny.ours, /^1\.4 \[/, "our value is shown even where it is not judged");
  assert.equal(tiny.difference, "–");
  assert.equal(tiny.stats!.pHolm, null);
  assert.match(tiny.reason, /^absolute final validation loss at the best LR of a 0\.8M-param char model/);
  assert.equal(evaluateClaim(c, undefined).verdict, "no data");
  assert.equal(evaluateClaim(c, at([NaN, 1, 2])).verdict, "no data");
});

Deno.test("ratio: log-scale interval within a factor of the paper value; paired samples use the paired t", () => {
  const c = claim("gluon.nanogpt.hidden_embedding_L1_ratio"); // 50, factor 2 -> [25, 100]
  const m = (hidden: number[], embedding: number[], paired = true): Measured => ({
    scale: "small",
    measurement: { kind: "named", paired, values: { hidden_L1: hidden, embedding_L1: embedding } },
  });
  const ok = evaluateClaim(c, m([69, 70, 71, 68], [1.4, 1.42, 1.41, 1.39]));
  assert.equal(ok.verdict, "holds", ok.reason);
  assert.equal(ok.stats!.method, "paired t");
  assert.equal(ok.stats!.effectKind, "ratio");
  assert.ok(Math.abs(ok.stats!.effect - 49.6) < 0.5, `${ok.stats!.effect}`);
  const high = evaluateClaim(c, m([69, 70, 71], [0.5, 0.51, 0.49]));
  assert.equal(high.verdict, "does not hold", high.reason);
  assert.match(high.difference, /^×2\.8\d*$/, "about 140 against 50");
  assert.equal(evaluateClaim(c, m([69, 70, 71], [1.4, 1.41, 1.39], false)).stats!.method, "Welch t");
  const missing = evaluateClaim(c, {
    scale: "tiny",
    measurement: { kind: "named", values: { hidden_L1: [3] } },
  });
  assert.equal(missing.verdict, "no data");
  assert.equal(missing.reason, "no finite value for embedding_L1");
});

Deno.test("near_zero: the per-seed worst layer's |value| / reference must be at most rel_tol", () => {
  const c = claim("gluon.nanogpt.L0_near_zero"); // rel_tol 0.2
  const seed = (worst: number) => ({
    "h.0.attn.c_q": { value: 1e-6, reference: 3.4 },
    "h.0.mlp.c_fc": { value: worst * 3.9, reference: 3.9 },
    "wte": { value: 0, reference: 0.2 },
  });
  const m = (worsts: number[]): Measured => ({
    scale: "tiny",
    measurement: { kind: "relative", seeds: worsts.map(seed) },
  });
  const ok = evaluateClaim(c, m([0.01, 0.012, 0.011]));
  assert.equal(ok.verdict, "holds", ok.reason);
  assert.match(ok.reason, /worst layer h\.0\.mlp\.c_fc/);
  assert.equal(evaluateClaim(c, m([0.5, 0.55, 0.6])).verdict, "does not hold");
  assert.equal(evaluateClaim(c, m([0.05, 0.19, 0.4])).verdict, "inconclusive");
  assert.equal(evaluateClaim(c, m([])).verdict, "no data");
});

Deno.test("ordering: every neighbour pair must be significant; the deciding pair is reported", () => {
  const c = claim("crawshaw.table4.ordering"); // muonadam-momo < muonadam < muonmax-momo
  const m = (a: number[], b: number[], mm: number[]): Measured => ({
    scale: "tiny",
    measurement: { kind: "named", values: { "muonadam-momo": a, "muonadam": b, "muonmax-momo": mm } },
  });
  const ok = evaluateClaim(c, m(seeds(4, 1.5, 0.005, 1), seeds(4, 1.6, 0.005, 2), seeds(4, 1.7, 0.005, 3)));
  assert.equal(ok.verdict, "holds", ok.reason);
  // The second pair is within noise: the claim as a whole is inconclusive, decided by that pair.
  const weak = evaluateClaim(c, m(seeds(4, 1.5, 0.005, 1), seeds(4, 1.6, 0.02, 2), seeds(4, 1.601, 0.02, 3)));
  assert.equal(weak.verdict, "inconclusive", weak.reason);
  assert.match(weak.reason, /the margin of muonadam < muonmax-momo/);
  // A clear reversal of one pair does not hold.
  const flipped = evaluateClaim(
    c,
    m(seeds(4, 1.5, 0.005, 1), seeds(4, 1.8, 0.005, 2), seeds(4, 1.7, 0.005, 3)),
  );
  assert.equal(flipped.verdict, "does not hold", flipped.reason);
  assert.ok(flipped.stats!.effect < 0);
  // Bitwise-identical seeds (a deterministic quantity): a zero-width interval still decides.
  const desc = claim("gluon.nanogpt.hidden_above_embedding_L1"); // descending
  const exact = evaluateClaim(desc, {
    scale: "tiny",
    measurement: { kind: "named", paired: true, values: { hidden_L1: [5, 5, 5], embedding_L1: [1, 1, 1] } },
  });
  assert.equal(exact.verdict, "holds", exact.reason);
  assert.equal(exact.stats!.method, "constant");
});

/** A sweep over `grid` per seed: `losses[seed][i]` (null: diverged). */
function sweep(grid: number[], losses: (number | null)[][]): SweepPoint[] {
  return losses.flatMap((row, seed) => grid.map((lr, i) => ({ lr, loss: row[i], seed })));
}

Deno.test("wider: bootstrap over per-seed basin widths; an open edge on the deciding side is inconclusive", () => {
  const c = claim("crawshaw.fig1.muonadam_momo_wider_than_muonadam"); // 5% tolerance
  const grid = [1e-4, 1e-3, 1e-2, 1e-1, 1];
  const jitter = (row: (number | null)[], s: number) => row.map((x) => (x === null ? null : x + 0.002 * s));
  const narrow = [4.0, 3.45, 3.0, 3.3, null]; // closed on both sides, about 0.8 decades
  const wide = [4.0, 3.05, 3.0, 3.02, null]; // closed: 1e-4 is outside, 1 diverged; about 2.3 decades
  const openLow = [3.05, 3.0, 3.4, 3.6, null]; // reaches the smallest LR: at least 1.4 decades
  const m = (momo: (number | null)[], base: (number | null)[]): Measured => ({
    scale: "tiny",
    measurement: {
      kind: "sweeps",
      sweeps: {
        "muonadam-momo": sweep(grid, [0, 1, 2].map((s) => jitter(momo, s))),
        "muonadam": sweep(grid, [0, 1, 2].map((s) => jitter(base, s))),
      },
    },
  });
  const holds = evaluateClaim(c, m(wide, narrow));
  assert.equal(holds.verdict, "holds", holds.reason);
  assert.equal(holds.stats!.method, "bootstrap");
  assert.equal(holds.stats!.n, 3);
  assert.ok(holds.stats!.effect > 1);
  assert.equal(evaluateClaim(c, m(narrow, wide)).verdict, "does not hold");
  // `than` open: its true width may be larger, so "holds" cannot be reached.
  const thanOpen = evaluateClaim(c, m(wide, openLow));
  assert.equal(thanOpen.verdict, "inconclusive", thanOpen.reason);
  assert.match(thanOpen.reason, /the basin of muonadam is open at its low edge of the grid/);
  assert.match(thanOpen.ours, /vs ≥ /, "an open basin is shown as a lower bound");
  // `wider` open while narrower: "does not hold" cannot be reached either.
  const widerOpen = evaluateClaim(c, m(openLow, wide));
  assert.equal(widerOpen.verdict, "inconclusive", widerOpen.reason);
  // A one-seed sweep never decides.
  const single = evaluateClaim(c, {
    scale: "tiny",
    measurement: {
      kind: "sweeps",
      sweeps: { "muonadam-momo": sweep(grid, [wide]), "muonadam": sweep(grid, [narrow]) },
    },
  });
  assert.equal(single.verdict, "inconclusive");
  const dead = evaluateClaim(c, m([null, null, null, null, null], narrow));
  assert.equal(dead.reason, "every run of muonadam-momo diverged");
});

Deno.test("Holm: a claim significant alone becomes inconclusive among many weak ones", () => {
  // p about 0.01-0.04 alone; with four other claims of p near 1 the Holm factor is 5.
  const moderate = twoOptimizers(seeds(4, 3.0, 0.02, 11), seeds(4, 3.04, 0.02, 12));
  const alone = evaluateClaim(fig5, moderate);
  assert.equal(alone.verdict, "holds", alone.reason);
  assert.ok(alone.stats!.p! > 0.01 && alone.stats!.p! < 0.05, `p = ${alone.stats!.p}`);
  const noise = (s: number): Measured => ({
    scale: "tiny",
    measurement: {
      kind: "named",
      values: { hidden_L1: seeds(4, 5, 1, s), embedding_L1: seeds(4, 5, 1, s + 50) },
    },
  });
  const family: Record<string, Measured> = {
    [fig5.id]: moderate,
    "gluon.nanogpt.hidden_above_embedding_L1": noise(1),
    "gluon.nanogpt.adamw_fit_worse": {
      scale: "tiny",
      measurement: { kind: "named", values: { unscion: seeds(4, 1, 0.3, 3), adamw: seeds(4, 1, 0.3, 4) } },
    },
    "gluon.nanogpt.euclidean_fit_worse": {
      scale: "tiny",
      measurement: {
        kind: "named",
        values: { scion_norms: seeds(4, 1, 0.3, 5), euclidean_norms: seeds(4, 1, 0.3, 6) },
      },
    },
    "crawshaw.table4.ordering": {
      scale: "tiny",
      measurement: {
        kind: "named",
        values: {
          "muonadam-momo": seeds(4, 3, 0.05, 7),
          "muonadam": seeds(4, 3, 0.05, 8),
          "muonmax-momo": seeds(4, 3, 0.05, 9),
        },
      },
    },
  };
  const verdicts = evaluateClaims(allClaims, family);
  const v = verdicts.find((x) => x.id === fig5.id)!;
  const inFamily = verdicts.filter((x) => x.stats?.pHolm !== null && x.stats?.pHolm !== undefined);
  assert.equal(inFamily.length, 5);
  assert.equal(v.stats!.p, alone.stats!.p);
  assert.ok(v.stats!.pHolm! > v.stats!.p!, "the adjusted p is larger");
  assert.equal(v.verdict, "inconclusive", v.reason);
  assert.match(v.reason, /Holm-adjusted/);
});

Deno.test("verdicts.json records and the half-horizon flip", () => {
  const full = evaluateClaim(fig5, twoOptimizers(seeds(5, 3.0, 0.01, 7), seeds(5, 3.2, 0.01, 8)));
  const half = evaluateClaim(fig5, twoOptimizers(seeds(5, 3.3, 0.01, 7), seeds(5, 3.1, 0.01, 8)));
  const [v] = withHalfHorizon([full], [{ ...half, setting: "judged at step 20" }]);
  assert.equal(v.halfHorizon!.flips, true, "muonadam wins at the end, muonmax at half the horizon");
  assert.equal(v.halfHorizon!.verdict, "does not hold");
  const [same] = withHalfHorizon([full], [full]);
  assert.equal(same.halfHorizon!.flips, false);
  // A sign change within noise at both horizons is not a flip.
  const [x, y] = [[3.0, 3.05, 2.95], [3.01, 3.06, 2.96]];
  const noiseA = evaluateClaim(fig5, twoOptimizers(x, y));
  const noiseB = evaluateClaim(fig5, twoOptimizers(y, x));
  assert.ok(Math.sign(noiseA.stats!.effect) !== Math.sign(noiseB.stats!.effect));
  assert.equal(withHalfHorizon([noiseA], [noiseB])[0].halfHorizon!.flips, false);
  const [record] = verdictsJson([v]);
  assert.deepEqual(Object.keys(record), [
    "id",
    "verdict",
    "effect",
    "effect_kind",
    "ci",
    "p",
    "p_holm",
    "n",
    "method",
    "reason",
    "scale",
    "correction",
    "half_horizon",
  ]);
  assert.equal(record.verdict, "holds");
  assert.equal(record.n, 5);
  assert.equal(record.correction, "Holm");
  assert.equal(record.ci!.length, 2);
  assert.equal(record.half_horizon!.flips, true);
  const none: Verdict = evaluateClaim(fig5, undefined);
  assert.deepEqual(verdictsJson([none])[0].ci, null);
  // Not-finite numbers become null, so the file is plain JSON.
  const inf = { ...full, stats: { ...full.stats!, effect: Infinity, ci: [1, Infinity] as [number, number] } };
  const r = verdictsJson([inf])[0];
  assert.deepEqual([r.effect, r.ci], [null, [1, null]]);
  JSON.parse(JSON.stringify(r));
});
