import assert from "node:assert/strict";
import { formatNumber, parseClaimsFile } from "../src/report/claims.ts";
import { claim, crawshaw, gluon } from "./helpers/paper_claims.ts";

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

Deno.test("formatNumber: five significant digits, exponent outside [1e-3, 1e5)", () => {
  assert.equal(formatNumber(3.5546), "3.5546");
  assert.equal(formatNumber(41.37724), "41.377");
  assert.equal(formatNumber(0.0303), "0.0303");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(3.6e-4), "3.60e-4");
  assert.equal(formatNumber(123456), "1.23e+5");
  assert.equal(formatNumber(NaN), "NaN");
});
