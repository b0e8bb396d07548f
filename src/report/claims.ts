/**
 * Paper claims (DESIGN.md decision 7): the fixtures' types, their validation and loading.
 *
 * A claim is one number or statement from a paper, stored in `fixtures/papers/<arxiv-id>.json` with its
 * figure or table, setting, units, provenance tags and the test we accept (`approx`, `near_zero`, `ratio`,
 * `ordering`, `wider`; ./verdicts.ts judges them over seeds). Absolute values (`approx`) are comparable
 * only at the scales in `comparable_at` (default: paper); the qualitative kinds are evaluated at every
 * scale unless the claim says otherwise.
 */

import type { BasinPoint } from "../stats/basin.ts";
import { type Scale, SCALES } from "../suite/scales.ts";

/** Provenance tags as `research/papers.md` defines them. */
export const PROVENANCE_TAGS = ["[P]", "[C]", "[C-log]", "[R]", "[I]", "[U]"] as const;
/** A provenance tag. */
export type ProvenanceTag = typeof PROVENANCE_TAGS[number];

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

/** One run of an LR sweep (a null or non-finite loss: diverged) and, when known, its seed. */
export interface SweepPoint extends BasinPoint {
  seed?: number;
}

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

/** "lo–hi", or one number when lo = hi. */
export function formatInterval([lo, hi]: [number, number]): string {
  return lo === hi ? formatNumber(lo) : `${formatNumber(lo)}–${formatNumber(hi)}`;
}

/** The scales at which a claim is evaluated: its `comparable_at`, else paper for `approx`, else all. */
export function comparableScales(claim: PaperClaim): readonly Scale[] {
  return claim.comparable_at ?? (claim.test.kind === "approx" ? ["paper"] : SCALES);
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
