/**
 * Paper claims and their verdicts (DESIGN.md decision 7).
 *
 * A claim is one number or statement from a paper, stored in `fixtures/papers/<arxiv-id>.json` with its
 * figure or table, setting, units, provenance tags and the test we accept. `evaluateClaim` is a pure
 * function from (claim, our measurement, the scale it came from) to a verdict with a one-sentence reason.
 *
 * Test kinds and the measurement each one takes:
 * - `approx` (scalar): our value lies in the paper value (a number or [lo, hi]) widened by `rel_tol` or
 *   `abs_tol`. Absolute values are comparable only at the scales in `comparable_at` (default: paper).
 * - `near_zero` (relative): every |value| is at most `rel_tol` times its reference (e.g. L0 against the
 *   layer's typical fitted L-hat).
 * - `ratio` (named): `of[0] / of[1]` lies within a factor `factor_tol` of the paper value.
 * - `ordering` (named): the means follow `expect`, ascending (first is smallest) or descending.
 * - `wider` (sweeps): the LR basin of `wider` spans more log10 decades than that of `than` (`basinWidth`).
 * Qualitative kinds (all but `approx`) are evaluated at every scale unless the claim says otherwise.
 */

import { type Scale, SCALES } from "../suite/scales.ts";

/** Provenance tags as `research/papers.md` defines them. */
export const PROVENANCE_TAGS = ["[P]", "[C]", "[C-log]", "[R]", "[I]", "[U]"] as const;
/** A provenance tag. */
export type ProvenanceTag = typeof PROVENANCE_TAGS[number];

/** The verdicts a claim can get. */
export const VERDICTS = ["holds", "does not hold", "not comparable at this scale", "no data"] as const;
/** A verdict. */
export type VerdictKind = typeof VERDICTS[number];

/**
 * Default basin tolerance: an LR is in the basin when its final loss is within 5% (relative) of the best
 * loss. At GPT-2 scale (loss about 3.5) that is about 0.18 nats: several times the 0.023-nat spread of
 * the tuned optimizers in Crawshaw et al. Table 4, yet well below the loss jump of a mistuned LR. A 10%
 * band (0.35 nats) would cover most of a sweep in which nothing diverges, so widths would saturate at
 * the grid edges and stop separating optimizers. Claims and callers may override it.
 */
export const DEFAULT_BASIN_LOSS_TOL = 0.05;

/** What a test compares against: a number, an interval [lo, hi], or a statement (orderings, basins). */
export type PaperValue = number | [number, number] | string;

/** The test a claim uses; see the module comment for the meaning of each kind. */
export type ClaimTest =
  | { kind: "approx"; rel_tol?: number; abs_tol?: number }
  | { kind: "near_zero"; relative_to: string; rel_tol: number }
  | { kind: "ratio"; of: [string, string]; factor_tol: number }
  | { kind: "ordering"; expect: string[]; direction: "ascending" | "descending" }
  | { kind: "wider"; wider: string; than: string; loss_tol?: number };

/** The experimental setting a paper number comes from (free text, as precise as the sources allow). */
export interface ClaimSetting {
  model: string;
  data: string;
  optimizer: string;
  steps: string;
}

/** One paper number or statement with its provenance and the test we accept. */
export interface PaperClaim {
  id: string;
  paper: string;
  text: string;
  figure_or_table: string;
  setting: ClaimSetting;
  quantity: string;
  units: string;
  value: PaperValue;
  value_std?: number;
  provenance: ProvenanceTag[];
  source: string;
  test: ClaimTest;
  comparable_at?: Scale[];
}

/** A `fixtures/papers/<arxiv-id>.json` file. */
export interface PaperClaimsFile {
  paper: { arxiv: string; short_name: string; title: string; authors: string; url: string };
  notes?: string;
  claims: PaperClaim[];
}

/** A mean over seeds (or a single value) with its optional spread. */
export interface Stat {
  mean: number;
  std?: number;
  n?: number;
}

/** One run of an LR sweep. `loss` is ignored when `diverged` is true. */
export interface SweepPoint {
  lr: number;
  loss: number;
  diverged: boolean;
}

/** Our measurement for a claim; the kind must match the claim's test (see the module comment). */
export type Measurement =
  | { kind: "scalar"; value: Stat }
  | { kind: "named"; values: Record<string, Stat> }
  | { kind: "relative"; values: Record<string, { value: number; reference: number }> }
  | { kind: "sweeps"; sweeps: Record<string, SweepPoint[]> };

/** A measurement together with the scale (and, optionally, a short description of the setting) it came from. */
export interface Measured {
  scale: Scale;
  setting?: string;
  measurement: Measurement;
}

/** The verdict on one claim, formatted for a report table. */
export interface Verdict {
  id: string;
  text: string;
  figure_or_table: string;
  provenance: string;
  paper: string;
  ours: string;
  /** Ours minus paper: a signed gap (0 inside an interval), a factor for ratios, margins for orderings. */
  difference: string;
  scale: Scale | null;
  verdict: VerdictKind;
  reason: string;
}

/** The LR basin of one sweep (see `basinWidth`). */
export interface Basin {
  bestLr: number;
  bestLoss: number;
  threshold: number;
  lrLow: number;
  lrHigh: number;
  widthDecades: number;
  /** True when the basin reaches the smallest LR of the grid, so its width is only a lower bound. */
  openLow: boolean;
  /** True when the basin reaches the largest LR of the grid. */
  openHigh: boolean;
}

const MEASUREMENT_FOR_TEST: Record<ClaimTest["kind"], Measurement["kind"]> = {
  approx: "scalar",
  near_zero: "relative",
  ratio: "named",
  ordering: "named",
  wider: "sweeps",
};

/** Formats a number for a report: up to 5 significant digits, exponent notation outside [1e-3, 1e5). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return String(Number(x.toPrecision(5)));
}

/** Formats a paper value, with its ± when the paper gives one. */
export function formatPaperValue(claim: PaperClaim): string {
  const v = claim.value;
  const core = typeof v === "string" ? v : typeof v === "number" ? formatNumber(v) : formatInterval(v);
  return claim.value_std === undefined ? core : `${core} ± ${formatNumber(claim.value_std)}`;
}

function formatInterval([lo, hi]: [number, number]): string {
  return lo === hi ? formatNumber(lo) : `${formatNumber(lo)}–${formatNumber(hi)}`;
}

function formatStat(s: Stat): string {
  const spread = s.std === undefined ? "" : ` ± ${formatNumber(s.std)}`;
  const n = s.n === undefined ? "" : ` (n=${s.n})`;
  return `${formatNumber(s.mean)}${spread}${n}`;
}

/**
 * The LR basin of a sweep: runs are grouped by LR (an LR at which any seed diverged is a diverged point;
 * otherwise its loss is the mean over seeds), the best LR is the one with the lowest loss, and the basin
 * is the contiguous LR range around it whose loss is at most best + lossTol * |best|. Each edge is
 * interpolated linearly in log10(lr) to where the loss crosses that threshold between the last point
 * inside and the first point outside; next to a diverged point or the end of the grid the edge is the
 * last point inside. The width is log10(lrHigh / lrLow) in decades. Returns undefined when every run
 * diverged.
 */
export function basinWidth(points: SweepPoint[], lossTol = DEFAULT_BASIN_LOSS_TOL): Basin | undefined {
  if (!(lossTol >= 0)) throw new Error(`basinWidth: lossTol must be >= 0, got ${lossTol}`);
  const grid = groupByLr(points);
  let best = -1;
  for (let i = 0; i < grid.length; i++) {
    if (!grid[i].diverged && (best < 0 || grid[i].loss < grid[best].loss)) best = i;
  }
  if (best < 0) return undefined;
  const bestLoss = grid[best].loss;
  const threshold = bestLoss + lossTol * Math.abs(bestLoss);
  const inside = (i: number) => !grid[i].diverged && grid[i].loss <= threshold;
  let lo = best;
  while (lo > 0 && inside(lo - 1)) lo--;
  let hi = best;
  while (hi < grid.length - 1 && inside(hi + 1)) hi++;
  const edge = (innerIdx: number, outerIdx: number): number => {
    if (outerIdx < 0 || outerIdx >= grid.length || grid[outerIdx].diverged) return grid[innerIdx].lr;
    const inner = grid[innerIdx], outer = grid[outerIdx];
    const frac = (outer.loss - threshold) / (outer.loss - inner.loss);
    const logLr = Math.log10(outer.lr) + frac * (Math.log10(inner.lr) - Math.log10(outer.lr));
    return 10 ** logLr;
  };
  const lrLow = edge(lo, lo - 1);
  const lrHigh = edge(hi, hi + 1);
  return {
    bestLr: grid[best].lr,
    bestLoss,
    threshold,
    lrLow,
    lrHigh,
    widthDecades: Math.log10(lrHigh) - Math.log10(lrLow),
    openLow: lo === 0,
    openHigh: hi === grid.length - 1,
  };
}

function groupByLr(points: SweepPoint[]): { lr: number; loss: number; diverged: boolean }[] {
  const byLr = new Map<number, { sum: number; count: number; diverged: boolean }>();
  for (const p of points) {
    if (!(p.lr > 0) || !Number.isFinite(p.lr)) {
      throw new Error(`basinWidth: learning rates must be finite and > 0, got ${p.lr}`);
    }
    if (!p.diverged && !Number.isFinite(p.loss)) {
      throw new Error(
        `basinWidth: run at lr=${p.lr} has loss ${p.loss} but diverged=false; mark it diverged: true`,
      );
    }
    const g = byLr.get(p.lr) ?? { sum: 0, count: 0, diverged: false };
    if (p.diverged) g.diverged = true;
    else {
      g.sum += p.loss;
      g.count++;
    }
    byLr.set(p.lr, g);
  }
  return [...byLr.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([lr, g]) => ({ lr, loss: g.diverged ? NaN : g.sum / g.count, diverged: g.diverged }));
}

/** The scales at which a claim is evaluated: its `comparable_at`, else paper for `approx`, else all. */
export function comparableScales(claim: PaperClaim): readonly Scale[] {
  return claim.comparable_at ?? (claim.test.kind === "approx" ? ["paper"] : SCALES);
}

/**
 * Evaluates one claim against our measurement (undefined when we have none). At a scale where the claim
 * is not comparable, our value is still shown but not judged. Throws when the measurement's kind does
 * not fit the claim's test, which is a bug in the caller, not a verdict.
 */
export function evaluateClaim(claim: PaperClaim, measured: Measured | undefined): Verdict {
  const base = {
    id: claim.id,
    text: claim.text,
    figure_or_table: claim.figure_or_table,
    provenance: claim.provenance.join(" "),
    paper: formatPaperValue(claim),
  };
  if (measured === undefined) {
    return {
      ...base,
      ours: "–",
      difference: "–",
      scale: null,
      verdict: "no data",
      reason: "no measurement was supplied",
    };
  }
  const expected = MEASUREMENT_FOR_TEST[claim.test.kind];
  if (measured.measurement.kind !== expected) {
    throw new Error(
      `claim ${claim.id}: a "${claim.test.kind}" test needs a "${expected}" measurement, ` +
        `got "${measured.measurement.kind}"`,
    );
  }
  const outcome = judge(claim, measured.measurement);
  const scales = comparableScales(claim);
  if (!scales.includes(measured.scale)) {
    const ours = measured.setting ?? `a ${measured.scale}-scale run`;
    return {
      ...base,
      ours: outcome.ours,
      difference: "–",
      scale: measured.scale,
      verdict: "not comparable at this scale",
      reason: `${claim.test.kind === "approx" ? "absolute " : ""}${claim.quantity} of ${ours} ` +
        `is not comparable with ${claim.setting.model} on ` +
        `${claim.setting.data} (comparable at: ${scales.join(", ")})`,
    };
  }
  return { ...base, scale: measured.scale, ...outcome };
}

/**
 * Evaluates every claim, in fixture order, with the measurements keyed by claim id. Throws when a
 * measurement names no known claim (usually a typo in the id).
 */
export function evaluateClaims(claims: PaperClaim[], measurements: Record<string, Measured>): Verdict[] {
  const known = new Set(claims.map((c) => c.id));
  const unknown = Object.keys(measurements).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `measurements for unknown claim ids: ${unknown.join(", ")}; check them against the fixtures`,
    );
  }
  return claims.map((c) => evaluateClaim(c, measurements[c.id]));
}

type Outcome = Pick<Verdict, "ours" | "difference" | "verdict" | "reason">;

function judge(claim: PaperClaim, m: Measurement): Outcome {
  const test = claim.test;
  switch (test.kind) {
    case "approx":
      return judgeApprox(claim, test, (m as Extract<Measurement, { kind: "scalar" }>).value);
    case "near_zero":
      return judgeNearZero(test, (m as Extract<Measurement, { kind: "relative" }>).values);
    case "ratio":
      return judgeRatio(claim, test, (m as Extract<Measurement, { kind: "named" }>).values);
    case "ordering":
      return judgeOrdering(test, (m as Extract<Measurement, { kind: "named" }>).values);
    case "wider":
      return judgeWider(test, (m as Extract<Measurement, { kind: "sweeps" }>).sweeps);
  }
}

function noData(reason: string): Outcome {
  return { ours: "–", difference: "–", verdict: "no data", reason };
}

function signed(x: number): string {
  return `${x > 0 ? "+" : ""}${formatNumber(x)}`;
}

function interval(claim: PaperClaim): [number, number] {
  const v = claim.value;
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v)) return v;
  throw new Error(`claim ${claim.id}: a "${claim.test.kind}" test needs a numeric value or [lo, hi]`);
}

function judgeApprox(
  claim: PaperClaim,
  test: Extract<ClaimTest, { kind: "approx" }>,
  ours: Stat,
): Outcome {
  if (!Number.isFinite(ours.mean)) return noData(`our value is ${ours.mean}`);
  const [lo, hi] = interval(claim);
  const [accLo, accHi, tolText] = test.abs_tol !== undefined
    ? [lo - test.abs_tol, hi + test.abs_tol, `±${formatNumber(test.abs_tol)}`]
    : [
      Math.min(lo * (1 - test.rel_tol!), lo * (1 + test.rel_tol!)),
      Math.max(hi * (1 + test.rel_tol!), hi * (1 - test.rel_tol!)),
      `${formatNumber(test.rel_tol! * 100)}%`,
    ];
  const target = formatInterval([lo, hi]);
  const x = ours.mean;
  const holds = x >= accLo && x <= accHi;
  const gap = x < lo ? x - lo : x > hi ? x - hi : 0;
  const relGap = gap === 0 ? 0 : gap / Math.abs(x < lo ? lo : hi);
  const relText = Number.isFinite(relGap) ? ` (${signed(relGap * 100)}%)` : "";
  const gapText = test.abs_tol !== undefined
    ? formatNumber(Math.abs(gap))
    : `${formatNumber(Math.abs(relGap) * 100)}%`;
  const reason = holds
    ? `${formatNumber(x)} is within ${tolText} of ${target}`
    : `${formatNumber(x)} is ${gapText} ${
      gap < 0 ? "below" : "above"
    } ${target}, outside the ${tolText} tolerance`;
  return {
    ours: formatStat(ours),
    difference: `${signed(gap)}${relText}`,
    verdict: holds ? "holds" : "does not hold",
    reason,
  };
}

function judgeNearZero(
  test: Extract<ClaimTest, { kind: "near_zero" }>,
  values: Record<string, { value: number; reference: number }>,
): Outcome {
  const entries = Object.entries(values);
  if (entries.length === 0) return noData("no values were measured");
  let worst = { name: "", rel: -Infinity };
  for (const [name, { value, reference }] of entries) {
    if (!(reference > 0) || !Number.isFinite(value)) {
      return noData(
        `${name}: value ${value} or reference ${reference} is unusable (the reference must be > 0)`,
      );
    }
    const rel = Math.abs(value) / reference;
    if (rel > worst.rel) worst = { name, rel };
  }
  const holds = worst.rel <= test.rel_tol;
  const ours = `max ${formatNumber(worst.rel)} of reference over ${entries.length}`;
  const reason = `largest |value| is ${formatNumber(worst.rel)} of ${test.relative_to} (${worst.name}), ` +
    `${holds ? "within" : "above"} the ${formatNumber(test.rel_tol)} tolerance`;
  return { ours, difference: "–", verdict: holds ? "holds" : "does not hold", reason };
}

function missing(names: string[], values: Record<string, Stat>): string[] {
  return names.filter((n) => values[n] === undefined || !Number.isFinite(values[n].mean));
}

function judgeRatio(
  claim: PaperClaim,
  test: Extract<ClaimTest, { kind: "ratio" }>,
  values: Record<string, Stat>,
): Outcome {
  const absent = missing(test.of, values);
  if (absent.length > 0) return noData(`no finite value for ${absent.join(", ")}`);
  const [num, den] = test.of.map((n) => values[n].mean);
  if (den === 0) return noData(`${test.of[1]} is 0, so the ratio is undefined`);
  const ratio = num / den;
  const [lo, hi] = interval(claim);
  const f = test.factor_tol;
  const holds = ratio >= lo / f && ratio <= hi * f;
  const target = formatInterval([lo, hi]);
  const ours = `${formatNumber(ratio)} = ${formatNumber(num)} / ${formatNumber(den)}`;
  const factor = ratio < lo ? ratio / lo : ratio > hi ? ratio / hi : 1;
  const difference = `×${formatNumber(factor)}`;
  if (holds) {
    return {
      ours,
      difference,
      verdict: "holds",
      reason: `ratio ${formatNumber(ratio)} is within ×${f} of ${target}`,
    };
  }
  const off = ratio < lo ? lo / ratio : ratio / hi;
  const where = ratio < lo ? "below" : "above";
  return {
    ours,
    difference,
    verdict: "does not hold",
    reason: `ratio ${formatNumber(ratio)} is ×${formatNumber(off)} ${where} ${target} (tolerance ×${f})`,
  };
}

function judgeOrdering(
  test: Extract<ClaimTest, { kind: "ordering" }>,
  values: Record<string, Stat>,
): Outcome {
  const absent = missing(test.expect, values);
  if (absent.length > 0) return noData(`no finite value for ${absent.join(", ")}`);
  const sign = test.direction === "ascending" ? 1 : -1;
  const rel = test.direction === "ascending" ? "<" : ">";
  const ours = test.expect.map((n) => `${n} ${formatStat(values[n])}`).join(", ");
  // Margins between neighbours, positive when they follow the expected order.
  const difference = test.expect.slice(1)
    .map((b, i) => signed(sign * (values[b].mean - values[test.expect[i]].mean)))
    .join(", ");
  for (let i = 0; i + 1 < test.expect.length; i++) {
    const [a, b] = [test.expect[i], test.expect[i + 1]];
    const [sa, sb] = [values[a], values[b]];
    if (!(sign * (sb.mean - sa.mean) > 0)) {
      const gap = Math.abs(sb.mean - sa.mean);
      const noise = Math.hypot(sa.std ?? 0, sb.std ?? 0);
      const noiseText = noise > 0 && gap <= noise
        ? `; the gap ${formatNumber(gap)} is within the seed std ${formatNumber(noise)}`
        : "";
      return {
        ours,
        difference,
        verdict: "does not hold",
        reason: `expected ${a} ${rel} ${b}, got ${formatNumber(sa.mean)} vs ${
          formatNumber(sb.mean)
        }${noiseText}`,
      };
    }
  }
  return {
    ours,
    difference,
    verdict: "holds",
    reason: `${test.expect.map((n) => `${n} ${formatNumber(values[n].mean)}`).join(` ${rel} `)} as expected`,
  };
}

function judgeWider(
  test: Extract<ClaimTest, { kind: "wider" }>,
  sweeps: Record<string, SweepPoint[]>,
): Outcome {
  const tol = test.loss_tol ?? DEFAULT_BASIN_LOSS_TOL;
  const basins: Basin[] = [];
  for (const name of [test.wider, test.than]) {
    const points = sweeps[name];
    if (points === undefined || points.length === 0) return noData(`no LR sweep for ${name}`);
    const basin = basinWidth(points, tol);
    if (basin === undefined) return noData(`every run of ${name} diverged`);
    basins.push(basin);
  }
  const [w, t] = basins;
  const holds = w.widthDecades > t.widthDecades;
  const dec = (b: Basin) => `${formatNumber(b.widthDecades)} dec`;
  const open = ([[test.wider, w], [test.than, t]] as const)
    .filter(([, b]) => b.openLow || b.openHigh)
    .map(([n]) => n);
  const openText = open.length > 0
    ? `; the basin of ${open.join(" and ")} reaches the grid edge (a lower bound)`
    : "";
  return {
    ours: `${dec(w)} vs ${dec(t)}`,
    difference: `${signed(w.widthDecades - t.widthDecades)} dec`,
    verdict: holds ? "holds" : "does not hold",
    reason: `basin (loss within ${formatNumber(tol * 100)}% of best) of ${test.wider} spans ${dec(w)}, ` +
      `${holds ? "wider than" : "not wider than"} ${test.than} at ${dec(t)}${openText}`,
  };
}

/**
 * Validates a parsed `fixtures/papers/*.json` document and returns it typed. `origin` names the file in
 * error messages. Checks every field the verdict engine relies on, the provenance tags, the scales, the
 * test parameters and that claim ids are unique.
 */
export function parseClaimsFile(doc: unknown, origin: string): PaperClaimsFile {
  const fail = (where: string, problem: string): never => {
    throw new Error(`${origin}: ${where}: ${problem}`);
  };
  const obj = (x: unknown, where: string): Record<string, unknown> =>
    typeof x === "object" && x !== null && !Array.isArray(x)
      ? x as Record<string, unknown>
      : fail(where, "expected an object");
  const str = (o: Record<string, unknown>, key: string, where: string): string =>
    typeof o[key] === "string" && (o[key] as string).length > 0
      ? o[key] as string
      : fail(where, `"${key}" must be a non-empty string`);
  const positive = (o: Record<string, unknown>, key: string, where: string) => {
    const v = o[key];
    if (typeof v !== "number" || !(v > 0)) {
      fail(where, `"${key}" must be a number > 0, got ${JSON.stringify(v)}`);
    }
  };

  const root = obj(doc, "document");
  const paper = obj(root.paper, "paper");
  for (const key of ["arxiv", "short_name", "title", "authors", "url"]) str(paper, key, "paper");
  if (!Array.isArray(root.claims) || root.claims.length === 0) fail("claims", "must be a non-empty array");
  const seen = new Set<string>();
  (root.claims as unknown[]).forEach((raw, index) => {
    const c = obj(raw, `claims[${index}]`);
    const id = str(c, "id", `claims[${index}]`);
    const where = `claim ${id}`;
    if (seen.has(id)) fail(where, "duplicate id; ids must be unique");
    seen.add(id);
    for (const key of ["paper", "text", "figure_or_table", "quantity", "units", "source"]) str(c, key, where);
    const setting = obj(c.setting, `${where}: setting`);
    for (const key of ["model", "data", "optimizer", "steps"]) str(setting, key, `${where}: setting`);
    if (!Array.isArray(c.provenance) || c.provenance.length === 0) {
      fail(where, `"provenance" must be a non-empty array of tags from ${PROVENANCE_TAGS.join(" ")}`);
    }
    for (const tag of c.provenance as unknown[]) {
      if (!(PROVENANCE_TAGS as readonly unknown[]).includes(tag)) {
        fail(where, `unknown provenance tag ${JSON.stringify(tag)}; use one of ${PROVENANCE_TAGS.join(" ")}`);
      }
    }
    if (c.value_std !== undefined && !(typeof c.value_std === "number" && c.value_std >= 0)) {
      fail(where, `"value_std" must be a number >= 0`);
    }
    if (c.comparable_at !== undefined) {
      const ok = Array.isArray(c.comparable_at) && c.comparable_at.length > 0 &&
        c.comparable_at.every((s) => (SCALES as readonly unknown[]).includes(s));
      if (!ok) fail(where, `"comparable_at" must be a non-empty array of ${SCALES.join(", ")}`);
    }
    const test = obj(c.test, `${where}: test`);
    const v = c.value;
    const numeric = typeof v === "number" ||
      (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number") && v[0] <= v[1]);
    switch (test.kind) {
      case "approx": {
        if ((test.rel_tol === undefined) === (test.abs_tol === undefined)) {
          fail(where, `an "approx" test needs exactly one of "rel_tol" and "abs_tol"`);
        }
        positive(test, test.rel_tol !== undefined ? "rel_tol" : "abs_tol", where);
        if (!numeric) fail(where, `an "approx" test needs "value" to be a number or [lo, hi] with lo <= hi`);
        break;
      }
      case "near_zero":
        str(test, "relative_to", where);
        positive(test, "rel_tol", where);
        if (v !== 0) fail(where, `a "near_zero" test needs "value": 0`);
        break;
      case "ratio": {
        const of = test.of;
        if (!Array.isArray(of) || of.length !== 2 || !of.every((n) => typeof n === "string")) {
          fail(where, `a "ratio" test needs "of": [numerator, denominator] names`);
        }
        positive(test, "factor_tol", where);
        if ((test.factor_tol as number) < 1) fail(where, `"factor_tol" is a factor and must be >= 1`);
        if (!numeric) fail(where, `a "ratio" test needs "value" to be a number or [lo, hi] with lo <= hi`);
        break;
      }
      case "ordering": {
        const expect = test.expect;
        if (!Array.isArray(expect) || expect.length < 2 || new Set(expect).size !== expect.length) {
          fail(where, `an "ordering" test needs "expect": two or more distinct names`);
        }
        if (test.direction !== "ascending" && test.direction !== "descending") {
          fail(where, `"direction" must be "ascending" (first is smallest) or "descending"`);
        }
        if (typeof v !== "string") {
          fail(where, `an "ordering" test needs "value" to be the ordering statement`);
        }
        break;
      }
      case "wider":
        str(test, "wider", where);
        str(test, "than", where);
        if (test.loss_tol !== undefined) positive(test, "loss_tol", where);
        if (typeof v !== "string") fail(where, `a "wider" test needs "value" to be the statement compared`);
        break;
      default:
        fail(
          where,
          `unknown test kind ${JSON.stringify(test.kind)}; use approx, near_zero, ratio, ordering or wider`,
        );
    }
  });
  return root as unknown as PaperClaimsFile;
}

/** The folder holding the paper fixtures (`fixtures/papers/` at the repository root). */
export const PAPER_FIXTURES_DIR = new URL("../../fixtures/papers/", import.meta.url);

/** Reads and validates `fixtures/papers/<arxivId>.json`. */
export async function loadPaperClaims(arxivId: string): Promise<PaperClaimsFile> {
  const url = new URL(`${arxivId}.json`, PAPER_FIXTURES_DIR);
  let text: string;
  try {
    text = await Deno.readTextFile(url);
  } catch (e) {
    throw new Error(`no paper fixture for ${arxivId} at ${url.pathname}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${url.pathname} is not valid JSON: ${(e as Error).message}`);
  }
  return parseClaimsFile(doc, url.pathname);
}
