/**
 * Verdicts over seeds (DESIGN.md decision 10): `evaluateClaims` judges each paper claim from per-seed
 * measurements, with an effect, a 95% interval, a p-value and n, and corrects for judging many claims at
 * once with Holm's method.
 *
 * Every test is "the true value lies in an acceptance range" (src/stats/estimate.ts `testAgainstRange`):
 * - `approx`: the mean over seeds within the paper value widened by the tolerance (t interval).
 * - `near_zero`: per seed the largest |value| / reference over the layers; their mean at most `rel_tol`.
 * - `ratio`: of[0] / of[1] (geometric-mean ratio; log-scale paired t when the samples are paired, else
 *   Welch t) within a factor `factor_tol` of the paper value.
 * - `ordering`: each neighbour difference in the expected direction above 0 (paired or Welch t; for times,
 *   `log`, the ratio above 1); the claim holds when every pair does, and the deciding pair (largest p, or
 *   the clearest reversal) is shown.
 * - `wider`: the difference of mean per-seed LR basin widths above 0 (bootstrap over seeds). A basin
 *   open at a grid edge is only a lower bound: an open basin on `than` blocks "holds", on `wider`
 *   blocks "does not hold", and the claim is inconclusive instead.
 *
 * A claim holds (or does not hold) only when its Holm-adjusted p is below {@link ALPHA} on the side the
 * estimate is on and it rests on at least {@link MIN_SEEDS} seeds; otherwise it is inconclusive. The
 * Holm family is every claim judged at a comparable scale with enough seeds.
 */
import { analyzeBasin, type Basin, DEFAULT_BASIN_LOSS_TOL } from "../stats/basin.ts";
import {
  bootstrapDifference,
  differenceEstimate,
  type Estimate,
  type EstimateMethod,
  meanEstimate,
  type RangeTest,
  testAgainstRange,
} from "../stats/estimate.ts";
import { holmAdjust } from "../stats/holm.ts";
import {
  type ClaimTest,
  comparableScales,
  formatInterval,
  formatNumber,
  formatPaperValue,
  type PaperClaim,
  type SweepPoint,
} from "./claims.ts";
import type { Scale } from "../suite/scales.ts";

/** The verdicts a claim can get. */
export const VERDICTS = [
  "holds",
  "does not hold",
  "inconclusive",
  "not comparable at this scale",
  "no data",
] as const;
/** A verdict. */
export type VerdictKind = typeof VERDICTS[number];

/** No claim is decided on fewer seeds than this. */
export const MIN_SEEDS = 3;
/** The family-wise significance level of the verdicts. */
export const ALPHA = 0.05;
/** The multiple-comparison correction applied over the claims of one report. */
export const CORRECTION = "Holm";

/** Our measurement for a claim, per seed; the kind must match the claim's test (see the module comment). */
export type Measurement =
  | { kind: "scalar"; values: number[] }
  /**
   * Per-seed values per name; `paired`: index i of every name comes from the same run (or timing round);
   * `log`: positive scale quantities (times) compared as ratios, on the log scale.
   */
  | { kind: "named"; values: Record<string, number[]>; paired?: boolean; log?: boolean }
  /** One record per seed: each layer's value and its reference. */
  | { kind: "relative"; seeds: Record<string, { value: number; reference: number }>[] }
  | { kind: "sweeps"; sweeps: Record<string, SweepPoint[]> };

/** A measurement together with the scale (and, optionally, a short description of the setting) it came from. */
export interface Measured {
  scale: Scale;
  setting?: string;
  measurement: Measurement;
  /**
   * Why this setting cannot decide the claim although its statistics might (a horizon too short to leave
   * the initial plateau): the verdict is "inconclusive" with this reason, outside the Holm family.
   */
  undecidable?: string;
}

/** The statistics behind a verdict. */
export interface VerdictStats {
  /** What `effect` measures, e.g. "mean", "difference", "ratio", "width difference (decades)". */
  effectKind: string;
  effect: number;
  /** The 95% interval of the effect; null with fewer than 2 seeds. */
  ci: [number, number] | null;
  /** The two-sided p of the side the estimate is on (src/stats/estimate.ts RangeTest); null without one. */
  p: number | null;
  /** p after Holm's correction over the report's claims; null when the claim was not in the family. */
  pHolm: number | null;
  n: number;
  method: EstimateMethod;
}

/** The verdict on one claim, formatted for a report table. */
export interface Verdict {
  id: string;
  text: string;
  figure_or_table: string;
  provenance: string;
  paper: string;
  /** Our estimate with its interval and n. */
  ours: string;
  /** Ours minus paper: a signed gap (0 inside an interval), a factor for ratios, margins for orderings. */
  difference: string;
  scale: Scale | null;
  /** The setting our measurement comes from, when known. */
  setting?: string;
  verdict: VerdictKind;
  reason: string;
  stats: VerdictStats | null;
  /** Sweep claims only: the same claim judged at half the horizon, from the same runs. */
  halfHorizon?: HalfHorizonVerdict;
}

/** A sweep claim judged at half the horizon (its own Holm family). */
export type HalfHorizonVerdict = Pick<Verdict, "ours" | "verdict" | "reason" | "stats" | "setting"> & {
  /**
   * True when the claim is decided (holds or does not hold) at one horizon and its effect changes sign
   * between the two: the ranking flips. A sign change within noise at both horizons is not a flip.
   */
  flips: boolean;
};

/** Attaches each sweep claim's half-horizon verdict (matched by id) to its full-horizon verdict. */
export function withHalfHorizon(full: readonly Verdict[], half: readonly Verdict[]): Verdict[] {
  const byId = new Map(half.map((v) => [v.id, v]));
  return full.map((v) => {
    const h = byId.get(v.id);
    if (!h) return v;
    const decided = [v.verdict, h.verdict].some((k) => k === "holds" || k === "does not hold");
    const flips = decided && v.stats !== null && h.stats !== null &&
      Math.sign(effectSign(v)) !== Math.sign(effectSign(h));
    const { ours, verdict, reason, stats, setting } = h;
    return { ...v, halfHorizon: { ours, verdict, reason, stats, setting, flips } };
  });
}

/** The effect's position against its claim's null: ratios against 1, every other effect against 0. */
function effectSign(v: Verdict): number {
  const s = v.stats!;
  return s.effectKind.startsWith("ratio") ? Math.log(s.effect) : s.effect;
}

const MEASUREMENT_FOR_TEST: Record<ClaimTest["kind"], Measurement["kind"]> = {
  approx: "scalar",
  near_zero: "relative",
  ratio: "named",
  ordering: "named",
  wider: "sweeps",
};

/** A claim judged up to the multiple-comparison correction. */
interface Judgement {
  ours: string;
  difference: string;
  /** A verdict fixed before any statistics (no data). */
  settled?: { verdict: VerdictKind; reason: string };
  estimate?: Estimate;
  effectKind?: string;
  range?: RangeTest;
  /** What the estimate is of, for the reason: "muonadam − muonadam-momo best loss". */
  subject?: string;
  /** What the claim needs of it: "> 0", "within ×2 of 50". */
  expectation?: string;
  /** Why a verdict cannot be reached although the statistics reach it (an open basin edge). */
  blocked?: Partial<Record<"holds" | "does not hold", string>>;
  /** Set when the claim's scale is not comparable: the reason, and it stays out of the Holm family. */
  incomparable?: string;
  /** Set when the setting cannot decide the claim ({@link Measured.undecidable}); out of the Holm family. */
  undecidable?: string;
}

/** "3.02 [2.98, 3.06]" (no interval: "3.02"). */
export function formatEstimate(e: { estimate: number; ci: [number, number] | null }): string {
  return e.ci
    ? `${formatNumber(e.estimate)} [${formatNumber(e.ci[0])}, ${formatNumber(e.ci[1])}]`
    : formatNumber(e.estimate);
}

/** A p-value for text: 2 significant digits, "< 1e-4" below that. */
export function formatP(p: number): string {
  return p < 1e-4 ? "< 1e-4" : String(Number(p.toPrecision(2)));
}

function describe(e: Estimate): string {
  return `${formatEstimate(e)} (95% interval, n=${e.n}, ${e.method})`;
}

function noData(reason: string): Judgement {
  return { ours: "–", difference: "–", settled: { verdict: "no data", reason } };
}

function signed(x: number): string {
  return `${x > 0 ? "+" : ""}${formatNumber(x)}`;
}

function paperInterval(claim: PaperClaim): [number, number] {
  const v = claim.value;
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v)) return v;
  throw new Error(`claim ${claim.id}: a "${claim.test.kind}" test needs a numeric value or [lo, hi]`);
}

function judge(claim: PaperClaim, m: Measurement): Judgement {
  const test = claim.test;
  switch (test.kind) {
    case "approx":
      return judgeApprox(claim, test, (m as Extract<Measurement, { kind: "scalar" }>).values);
    case "near_zero":
      return judgeNearZero(test, (m as Extract<Measurement, { kind: "relative" }>).seeds);
    case "ratio":
      return judgeRatio(claim, test, m as Extract<Measurement, { kind: "named" }>);
    case "ordering":
      return judgeOrdering(test, m as Extract<Measurement, { kind: "named" }>);
    case "wider":
      return judgeWider(test, (m as Extract<Measurement, { kind: "sweeps" }>).sweeps);
  }
}

function judgeApprox(
  claim: PaperClaim,
  test: Extract<ClaimTest, { kind: "approx" }>,
  values: readonly number[],
): Judgement {
  if (values.length === 0) return noData("no values were measured");
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) return noData(`our value is ${bad}`);
  const [lo, hi] = paperInterval(claim);
  const [accLo, accHi, tolText] = test.abs_tol !== undefined
    ? [lo - test.abs_tol, hi + test.abs_tol, `±${formatNumber(test.abs_tol)}`]
    : [
      Math.min(lo * (1 - test.rel_tol!), lo * (1 + test.rel_tol!)),
      Math.max(hi * (1 + test.rel_tol!), hi * (1 - test.rel_tol!)),
      `${formatNumber(test.rel_tol! * 100)}%`,
    ];
  const e = meanEstimate(values);
  const x = e.estimate;
  const gap = x < lo ? x - lo : x > hi ? x - hi : 0;
  const relGap = gap === 0 ? 0 : gap / Math.abs(x < lo ? lo : hi);
  const relText = Number.isFinite(relGap) ? ` (${signed(relGap * 100)}%)` : "";
  return {
    ours: `${formatEstimate(e)} (n=${e.n})`,
    difference: `${signed(gap)}${relText}`,
    estimate: e,
    effectKind: "mean",
    range: testAgainstRange(e, accLo, accHi),
    subject: `the mean ${claim.quantity}`,
    expectation: `within ${tolText} of ${formatInterval([lo, hi])}`,
  };
}

function judgeNearZero(
  test: Extract<ClaimTest, { kind: "near_zero" }>,
  seeds: readonly Record<string, { value: number; reference: number }>[],
): Judgement {
  const worst: { name: string; rel: number }[] = [];
  for (const layers of seeds) {
    let w = { name: "", rel: -Infinity };
    for (const [name, { value, reference }] of Object.entries(layers)) {
      if (!(reference > 0) || !Number.isFinite(value)) {
        return noData(
          `${name}: value ${value} or reference ${reference} is unusable (the reference must be > 0)`,
        );
      }
      const rel = Math.abs(value) / reference;
      if (rel > w.rel) w = { name, rel };
    }
    if (w.name) worst.push(w);
  }
  if (worst.length === 0) return noData("no values were measured");
  const e = meanEstimate(worst.map((w) => w.rel));
  const top = worst.reduce((a, b) => (b.rel > a.rel ? b : a));
  return {
    ours: `max ${formatEstimate(e)} of reference (n=${e.n})`,
    difference: "–",
    estimate: e,
    effectKind: "mean over seeds of the largest |value| / reference",
    range: testAgainstRange(e, -Infinity, test.rel_tol),
    subject: `the largest |value| / ${test.relative_to} (worst layer ${top.name}, ${formatNumber(top.rel)})`,
    expectation: `at most ${formatNumber(test.rel_tol)}`,
  };
}

function missing(names: readonly string[], values: Record<string, number[]>): string[] {
  return names.filter((n) => !values[n]?.length || !values[n].every(Number.isFinite));
}

function judgeRatio(
  claim: PaperClaim,
  test: Extract<ClaimTest, { kind: "ratio" }>,
  m: Extract<Measurement, { kind: "named" }>,
): Judgement {
  const absent = missing(test.of, m.values);
  if (absent.length > 0) return noData(`no finite value for ${absent.join(", ")}`);
  const [num, den] = test.of.map((n) => m.values[n]);
  if (![...num, ...den].every((v) => v > 0)) {
    return noData(`a ratio needs positive values of ${test.of.join(" and ")}`);
  }
  const e = differenceEstimate(num, den, { paired: m.paired, log: true });
  const [lo, hi] = paperInterval(claim);
  const f = test.factor_tol;
  const ratio = e.estimate;
  const factor = ratio < lo ? ratio / lo : ratio > hi ? ratio / hi : 1;
  return {
    ours: `${formatEstimate(e)} (n=${e.n})`,
    difference: `×${formatNumber(factor)}`,
    estimate: e,
    effectKind: "ratio",
    range: testAgainstRange(e, lo / f, hi * f),
    subject: `${test.of[0]} / ${test.of[1]}`,
    expectation: `within ×${f} of ${formatInterval([lo, hi])}`,
  };
}

function judgeOrdering(
  test: Extract<ClaimTest, { kind: "ordering" }>,
  m: Extract<Measurement, { kind: "named" }>,
): Judgement {
  const absent = missing(test.expect, m.values);
  if (absent.length > 0) return noData(`no finite value for ${absent.join(", ")}`);
  const rel = test.direction === "ascending" ? "<" : ">";
  const n = Math.min(...test.expect.map((name) => m.values[name].length));
  if (m.log && ![...test.expect.flatMap((name) => m.values[name])].every((v) => v > 0)) {
    return noData(`a ratio needs positive values of ${test.expect.join(", ")}`);
  }
  const nullEffect = m.log ? 1 : 0;
  const pairs = test.expect.slice(1).map((b, i) => {
    const a = test.expect[i];
    // The effect is positive (a ratio above 1) when the pair follows the expected order.
    const [hi, lo] = test.direction === "ascending" ? [b, a] : [a, b];
    const e = { ...differenceEstimate(m.values[hi], m.values[lo], { paired: m.paired, log: m.log }), n };
    return { a, b, e, range: testAgainstRange(e, nullEffect, Infinity) };
  });
  const reversed = pairs.filter((p) => !(p.e.estimate > nullEffect));
  const deciding = reversed.length
    ? reversed.reduce((x, y) => (y.range.p < x.range.p ? y : x))
    : pairs.reduce((x, y) => (y.range.p > x.range.p ? y : x));
  const range = reversed.length
    ? { inside: false, p: deciding.range.p }
    : { inside: true, p: deciding.range.p };
  const means = test.expect.map((name) => `${name} ${formatEstimate(meanEstimate(m.values[name]))}`);
  return {
    ours: `${means.join(", ")} (n=${n})`,
    difference: pairs.map((p) => (m.log ? `×${formatNumber(p.e.estimate)}` : signed(p.e.estimate))).join(
      ", ",
    ),
    estimate: deciding.e,
    effectKind: m.log
      ? `ratio (${deciding.a} ${rel} ${deciding.b} when above 1)`
      : `difference (${deciding.a} ${rel} ${deciding.b} when positive)`,
    range,
    subject: m.log
      ? `the ratio of ${deciding.a} ${rel} ${deciding.b} (larger over smaller as expected)`
      : `the margin of ${deciding.a} ${rel} ${deciding.b}`,
    expectation: m.log ? "> 1" : "> 0",
  };
}

function judgeWider(
  test: Extract<ClaimTest, { kind: "wider" }>,
  sweeps: Record<string, SweepPoint[]>,
): Judgement {
  const tol = test.loss_tol ?? DEFAULT_BASIN_LOSS_TOL;
  const sides: { name: string; basin: Basin; widths: number[] }[] = [];
  for (const name of [test.wider, test.than]) {
    const points = sweeps[name];
    if (points === undefined || points.length === 0) return noData(`no LR sweep for ${name}`);
    const basin = analyzeBasin(points, tol);
    if (basin === undefined) return noData(`every run of ${name} diverged`);
    sides.push({ name, basin, widths: perSeedWidths(points, tol) });
  }
  const [w, t] = sides;
  const e = bootstrapDifference(w.widths, t.widths);
  const dec = (b: Basin) => `${isOpen(b) ? "≥ " : ""}${formatNumber(b.width)} dec`;
  const openText = (s: typeof w) =>
    `the basin of ${s.name} is open at its ${openEdges(s.basin)} edge of the grid, so its width ` +
    `(${dec(s.basin)}) is only a lower bound`;
  const blocked: Judgement["blocked"] = {};
  if (isOpen(t.basin)) blocked.holds = openText(t);
  if (isOpen(w.basin)) blocked["does not hold"] = openText(w);
  return {
    ours: `${dec(w.basin)} vs ${dec(t.basin)}; Δ ${formatEstimate(e)} dec (n=${e.n})`,
    difference: `${signed(e.estimate)} dec`,
    estimate: e,
    effectKind: "width difference (decades)",
    range: testAgainstRange(e, 0, Infinity),
    subject: `the basin width (loss within ${
      formatNumber(tol * 100)
    }% of best) of ${test.wider} minus ${test.than}`,
    expectation: "> 0",
    blocked,
  };
}

function isOpen(b: Basin): boolean {
  return b.lowEdgeOpen || b.highEdgeOpen;
}

function openEdges(b: Basin): string {
  return [b.lowEdgeOpen ? "low" : "", b.highEdgeOpen ? "high" : ""].filter(Boolean).join(" and ");
}

/** The basin width of each seed's own sweep (points without a seed form one seed); 0 when all diverged. */
function perSeedWidths(points: readonly SweepPoint[], tol: number): number[] {
  const bySeed = new Map<number | undefined, SweepPoint[]>();
  for (const p of points) bySeed.set(p.seed, [...(bySeed.get(p.seed) ?? []), p]);
  return [...bySeed.values()].map((pts) => analyzeBasin(pts, tol)?.width ?? 0);
}

function measureKindError(claim: PaperClaim, measured: Measured): void {
  const expected = MEASUREMENT_FOR_TEST[claim.test.kind];
  if (measured.measurement.kind !== expected) {
    throw new Error(
      `claim ${claim.id}: a "${claim.test.kind}" test needs a "${expected}" measurement, ` +
        `got "${measured.measurement.kind}"`,
    );
  }
}

function judgeClaim(claim: PaperClaim, measured: Measured | undefined): Judgement {
  if (measured === undefined) return noData("no measurement was supplied");
  measureKindError(claim, measured);
  const j = judge(claim, measured.measurement);
  const scales = comparableScales(claim);
  if (j.settled) return j;
  if (measured.undecidable) j.undecidable = measured.undecidable;
  if (scales.includes(measured.scale)) return j;
  const ours = measured.setting ?? `a ${measured.scale}-scale run`;
  return {
    ...j,
    difference: "–",
    incomparable: `${claim.test.kind === "approx" ? "absolute " : ""}${claim.quantity} of ${ours} ` +
      `is not comparable with ${claim.setting.model} on ${claim.setting.data} ` +
      `(comparable at: ${scales.join(", ")})`,
  };
}

/** Whether a judgement takes part in the multiple-comparison family. */
function inFamily(j: Judgement): boolean {
  return !j.settled && !j.incomparable && !j.undecidable && j.estimate!.n >= MIN_SEEDS &&
    Number.isFinite(j.range!.p);
}

function finish(
  j: Judgement,
  pHolm: number | null,
): Pick<Verdict, "ours" | "difference" | "verdict" | "reason" | "stats"> {
  const { ours, difference } = j;
  if (j.settled) return { ours, difference, ...j.settled, stats: null };
  const e = j.estimate!, range = j.range!;
  const stats: VerdictStats = {
    effectKind: j.effectKind!,
    effect: e.estimate,
    ci: e.ci,
    p: Number.isFinite(range.p) ? range.p : null,
    pHolm,
    n: e.n,
    method: e.method,
  };
  const out = (verdict: VerdictKind, reason: string) => ({ ours, difference, verdict, reason, stats });
  if (j.incomparable) return out("not comparable at this scale", j.incomparable);
  const what = `${j.subject} is ${describe(e)}`;
  if (e.n < MIN_SEEDS) {
    return out(
      "inconclusive",
      `${what}; ${e.n} seed${e.n === 1 ? "" : "s"} cannot decide a claim (at least ${MIN_SEEDS} needed)`,
    );
  }
  if (j.undecidable) return out("inconclusive", `${what}, but at this scale ${j.undecidable}`);
  if (pHolm === null) return out("inconclusive", `${what}; it has no p-value`);
  const pText = `p = ${formatP(range.p)}, ${CORRECTION}-adjusted ${formatP(pHolm)}`;
  if (!(pHolm < ALPHA)) {
    return out(
      "inconclusive",
      `${what}: the data do not settle whether it is ${j.expectation} (${pText} ≥ ${ALPHA})`,
    );
  }
  const candidate = range.inside ? "holds" : "does not hold";
  const block = j.blocked?.[candidate];
  if (block) return out("inconclusive", `${what}, but ${block}`);
  return out(candidate, `${what}, ${range.inside ? "" : "not "}${j.expectation} (${pText})`);
}

/**
 * Evaluates every claim, in fixture order, with the measurements keyed by claim id, and applies Holm's
 * correction over the claims that could be decided. Throws when a measurement names no known claim
 * (usually a typo in the id), or when a measurement's kind does not fit its claim's test (a bug in the
 * caller, not a verdict).
 */
export function evaluateClaims(claims: PaperClaim[], measurements: Record<string, Measured>): Verdict[] {
  const known = new Set(claims.map((c) => c.id));
  const unknown = Object.keys(measurements).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `measurements for unknown claim ids: ${unknown.join(", ")}; check them against the fixtures`,
    );
  }
  const judgements = claims.map((c) => judgeClaim(c, measurements[c.id]));
  const family = judgements.map((j) => (inFamily(j) ? j.range!.p : NaN));
  const adjusted = holmAdjust(family);
  return claims.map((claim, i) => {
    const measured = measurements[claim.id];
    return {
      id: claim.id,
      text: claim.text,
      figure_or_table: claim.figure_or_table,
      provenance: claim.provenance.join(" "),
      paper: formatPaperValue(claim),
      scale: measured?.scale ?? null,
      ...(measured?.setting ? { setting: measured.setting } : {}),
      ...finish(judgements[i], Number.isNaN(adjusted[i]) ? null : adjusted[i]),
    };
  });
}

/** Evaluates one claim on its own (a Holm family of one); undefined measurement: no data. */
export function evaluateClaim(claim: PaperClaim, measured: Measured | undefined): Verdict {
  return evaluateClaims([claim], measured ? { [claim.id]: measured } : {})[0];
}

/** One claim in `verdicts.json`: numbers that are not finite (a "not reached" step count) are null. */
export interface VerdictRecord {
  id: string;
  verdict: VerdictKind;
  /** The estimate (see `effect_kind`); null without data. */
  effect: number | null;
  effect_kind: string | null;
  ci: [number | null, number | null] | null;
  p: number | null;
  /** p after the correction named in `correction`; null when the claim was not in the family. */
  p_holm: number | null;
  n: number | null;
  method: EstimateMethod | null;
  scale: Scale | null;
  reason: string;
  correction: typeof CORRECTION;
  /** Sweep claims: the verdict at half the horizon, and whether the ranking flips. */
  half_horizon?: Omit<VerdictRecord, "id" | "scale" | "correction" | "half_horizon"> & { flips: boolean };
}

const finiteOrNull = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

function statsRecord(v: Pick<Verdict, "verdict" | "reason" | "stats">) {
  const s = v.stats;
  return {
    verdict: v.verdict,
    effect: finiteOrNull(s?.effect),
    effect_kind: s?.effectKind ?? null,
    ci: s?.ci ? [finiteOrNull(s.ci[0]), finiteOrNull(s.ci[1])] as [number | null, number | null] : null,
    p: finiteOrNull(s?.p),
    p_holm: finiteOrNull(s?.pHolm),
    n: s?.n ?? null,
    method: s?.method ?? null,
    reason: v.reason,
  };
}

/** The verdicts as data (`verdicts.json` beside index.html): one object per claim. */
export function verdictsJson(verdicts: readonly Verdict[]): VerdictRecord[] {
  return verdicts.map((v) => ({
    id: v.id,
    ...statsRecord(v),
    scale: v.scale,
    correction: CORRECTION,
    ...(v.halfHorizon ? { half_horizon: { ...statsRecord(v.halfHorizon), flips: v.halfHorizon.flips } } : {}),
  }));
}
