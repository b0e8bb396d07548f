/**
 * Self-contained HTML reports: one file with vega, vega-lite and vega-embed inlined from node_modules,
 * every chart's spec and data embedded, no network access at all. The header gives the command,
 * The scorecard on the paper claims comes first (one line per claim, the reasons folded), then how the
 * report was made (command, git revision, environment, config; folded), then the sections. `writeReport` also writes one server-side SVG per chart beside the HTML.
 */
import { verdictsMarkdown } from "./markdown.ts";
import type { TopLevelSpec } from "vega-lite";
import { formatNumber } from "./claims.ts";
import {
  ALPHA,
  CORRECTION,
  formatP,
  MIN_SEEDS,
  type Verdict,
  type VerdictKind,
  verdictsJson,
} from "./verdicts.ts";
import type { ReportTable } from "./charts.ts";
import { renderSvg } from "./svg.ts";

/** A chart: `id` names its container and its SVG file (letters, digits, `_` and `-`). */
export interface ReportChart {
  id: string;
  spec: TopLevelSpec;
  /** Path of the static SVG, relative to the HTML file; shown as a link under the chart. */
  svgPath?: string;
}

/** A link shown in a section (e.g. to a run's Arrow files or CSV export). */
export interface ReportLink {
  label: string;
  href: string;
}

/** One section of a report; `text` paragraphs are separated by blank lines. */
export interface ReportSection {
  heading: string;
  /** Shown folded (a `<details>` element), for long reference material such as the runs table. */
  folded?: boolean;
  text?: string;
  charts?: ReportChart[];
  tables?: ReportTable[];
  links?: ReportLink[];
}

/** Everything a report shows. */
export interface Report {
  title: string;
  command: string;
  config: unknown;
  environment: Record<string, string | number | boolean | null>;
  gitRevision: string;
  verdicts: Verdict[];
  sections: ReportSection[];
}

/** One browser library to inline, with its package version. */
export interface BrowserLibrary {
  name: string;
  version: string;
  source: string;
}

const LIBRARY_PACKAGES = ["vega", "vega-lite", "vega-embed"] as const;
let librariesPromise: Promise<BrowserLibrary[]> | undefined;

/**
 * Reads the browser (UMD) builds of vega, vega-lite and vega-embed: the file each package.json names in
 * its `unpkg` field (what CDNs serve), located through the package that the import map resolves.
 */
export function loadBrowserLibraries(): Promise<BrowserLibrary[]> {
  librariesPromise ??= Promise.all(LIBRARY_PACKAGES.map(loadBrowserLibrary)).catch((e) => {
    librariesPromise = undefined;
    throw e;
  });
  return librariesPromise;
}

async function loadBrowserLibrary(name: string): Promise<BrowserLibrary> {
  const entry = import.meta.resolve(name);
  const marker = `/node_modules/${name}/`;
  const at = entry.indexOf(marker);
  if (!entry.startsWith("file:") || at < 0) {
    throw new Error(
      `cannot locate the browser build of ${name}: it resolved to ${entry}, not a file in node_modules; ` +
        `run \`deno install\` in the repository (deno.json sets nodeModulesDir: auto)`,
    );
  }
  const root = entry.slice(0, at + marker.length);
  const pkg = JSON.parse(await Deno.readTextFile(new URL("package.json", root)));
  if (typeof pkg.unpkg !== "string") throw new Error(`${name}/package.json names no browser build ("unpkg")`);
  const source = await Deno.readTextFile(new URL(pkg.unpkg, root));
  if (source.includes("<!--")) {
    throw new Error(`${name}/${pkg.unpkg} contains "<!--", which cannot be inlined in a <script> safely`);
  }
  return { name, version: pkg.version, source };
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Serialises a value as JSON that is safe inside a `<script>` element (no `<` can close it). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function scriptForInlining(source: string): string {
  return source.replace(/<\/script/gi, "<\\/script");
}

const CHART_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function checkChartIds(report: Report): void {
  const seen = new Set<string>();
  for (const section of report.sections) {
    for (const chart of section.charts ?? []) {
      if (!CHART_ID.test(chart.id)) {
        throw new Error(
          `chart id ${JSON.stringify(chart.id)} in section "${section.heading}" is not allowed; ` +
            `use letters, digits, "_" and "-" (it names a DOM element and an SVG file)`,
        );
      }
      if (seen.has(chart.id)) {
        throw new Error(`chart id "${chart.id}" is used twice; chart ids must be unique`);
      }
      seen.add(chart.id);
    }
  }
}

const VERDICT_CLASS: Record<VerdictKind, string> = {
  "holds": "v-holds",
  "does not hold": "v-fails",
  "inconclusive": "v-inconclusive",
  "not comparable at this scale": "v-incomparable",
  "no data": "v-nodata",
};

const CSS = `
:root { color-scheme: light; --ink: #1d2329; --muted: #5b6670; --rule: #d8dee4; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; padding: 24px 32px 64px; max-width: 1200px; }
h1 { font-size: 1.7rem; margin: 0 0 12px; }
h2 { font-size: 1.3rem; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 18px 0 6px; }
pre { background: var(--bg-soft); border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px;
  overflow-x: auto; font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; margin: 4px 0 12px; }
code { font: 13px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
table { border-collapse: collapse; margin: 6px 0 16px; font-size: 14px; }
th, td { border: 1px solid var(--rule); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 4px; }
.meta th { width: 14em; }
.muted, .claim-id { color: var(--muted); font-size: 12px; }
table.verdicts { width: 100%; }
.scorecard th:nth-child(1) { width: 36%; } .scorecard th:nth-child(2) { width: 18%; }
.scorecard th:nth-child(3) { width: 28%; } .scorecard th:nth-child(4), .scorecard th:nth-child(5) { width: 9%; }
.verdicts td.verdict { font-weight: 600; }
.v-holds { background: #dcf3dc; color: #14591a; }
.v-fails { background: #f9d9dc; color: #8a1c24; }
.v-inconclusive { background: #e4ecf7; color: #22426b; }
.v-incomparable { background: #fff1c7; color: #6b5000; }
.v-nodata { background: #eceff1; color: #4f5b66; }
.summary span { display: inline-block; margin-right: 10px; padding: 2px 8px; border-radius: 10px; font-size: 13px; }
.chart { margin: 12px 0 4px; min-height: 40px; }
.chart-links { font-size: 13px; margin-bottom: 16px; }
details summary { cursor: pointer; color: var(--muted); }
details.section > summary h2 { display: inline; border: 0; }
details.section > summary { margin: 36px 0 10px; }
table.verdict-details { width: 100%; font-size: 13px; }
`;

const PAGE_SCRIPT = `
(async () => {
  const options = { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } };
  for (const el of document.querySelectorAll("[data-spec]")) {
    try {
      const spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
      await vegaEmbed(el, spec, options);
      el.dataset.rendered = "ok";
    } catch (error) {
      el.dataset.rendered = "error";
      el.textContent = "This chart failed to render: " + error.message;
      console.error(error);
    }
  }
  document.body.dataset.chartsDone = "true";
})();
`;

function cellHtml(v: string | number | boolean | null): string {
  if (v === null) return "<td></td>";
  if (typeof v === "number") return `<td class="num">${escapeHtml(formatNumber(v))}</td>`;
  return `<td>${escapeHtml(String(v))}</td>`;
}

function tableHtml(t: ReportTable): string {
  const caption = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : "";
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows.map((r) => `<tr>${r.map(cellHtml).join("")}</tr>`).join("\n");
  return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function verdictCell(verdict: VerdictKind, extra = ""): string {
  return `<td class="verdict ${VERDICT_CLASS[verdict]}">${escapeHtml(verdict)}${extra}</td>`;
}

/** "p = 0.003, Holm 0.02, n=3, Welch t" for the details table. */
function statsText(v: Verdict): string {
  const s = v.stats;
  if (!s) return "–";
  const p = s.p === null ? "" : `p = ${formatP(s.p)}`;
  const holm = s.pHolm === null ? "" : `${CORRECTION} ${formatP(s.pHolm)}`;
  return [p, holm, `n=${s.n}`, s.method].filter(Boolean).join(", ");
}

/** The statistics rule every verdict follows, said once above the scorecard. */
function statisticsNote(verdicts: readonly Verdict[]): string {
  const family = verdicts.filter((v) => v.stats?.pHolm !== null && v.stats?.pHolm !== undefined).length;
  return `Each verdict is judged over seeds: ours is the estimate with its 95% interval and n. A claim holds ` +
    `(or does not hold) only when its ${CORRECTION}-adjusted p is below ${ALPHA} over the ${family} claims ` +
    `judged here and it rests on at least ${MIN_SEEDS} seeds; otherwise it is inconclusive. Intervals: t ` +
    `(paired or Welch) for losses, fitted constants and times, on the log scale for ratios; a seeded ` +
    `bootstrap for LR basin widths and steps to target. A "wider" claim that an open basin edge decides is ` +
    `inconclusive. Sweep claims are also judged at half the horizon (their own ${CORRECTION} family); ↯ ` +
    `marks a claim decided at one horizon whose estimate reverses at the other (the ranking flips).`;
}

/** The scorecard: one line per claim (claim, paper, ours with its interval, verdict), then the details folded. */
function verdictSectionHtml(verdicts: Verdict[]): string {
  if (verdicts.length === 0) {
    return `<h2>Paper claims</h2><p class="muted">No paper claims were evaluated.</p>`;
  }
  const counts = new Map<VerdictKind, number>();
  for (const v of verdicts) counts.set(v.verdict, (counts.get(v.verdict) ?? 0) + 1);
  const summary = [...counts.entries()]
    .map(([k, n]) => `<span class="${VERDICT_CLASS[k]}">${n} ${escapeHtml(k)}</span>`)
    .join("");
  const hasHalf = verdicts.some((v) => v.halfHorizon);
  const rows = verdicts.map((v) => {
    const half = v.halfHorizon;
    const halfCell = !hasHalf ? "" : half
      ? verdictCell(
        half.verdict,
        half.flips
          ? ` <span title="decided at one horizon, reversed at the other: the ranking flips">↯</span>`
          : "",
      )
      : "<td></td>";
    return `<tr><td>${escapeHtml(v.text)}<div class="claim-id">${escapeHtml(v.id)}</div></td>` +
      `<td>${escapeHtml(v.paper)}</td><td>${escapeHtml(v.ours)}</td>${
        verdictCell(v.verdict)
      }${halfCell}</tr>`;
  }).join("\n");
  const details = verdicts.map((v) => {
    const scale = v.scale ? `<div class="muted">${escapeHtml(v.scale)} scale</div>` : "";
    const setting = v.setting ? `<div class="muted">${escapeHtml(v.setting)}</div>` : "";
    const half = v.halfHorizon
      ? `<div class="muted">half horizon: ${escapeHtml(v.halfHorizon.verdict)}: ${
        escapeHtml(v.halfHorizon.reason)
      }</div>`
      : "";
    return `<tr><td>${escapeHtml(v.id)}</td>` +
      `<td>${escapeHtml(v.figure_or_table)}<div class="muted">${escapeHtml(v.provenance)}</div></td>` +
      `<td>${escapeHtml(v.difference)}${scale}</td><td>${escapeHtml(statsText(v))}</td>` +
      `<td>${escapeHtml(v.reason)}${setting}${half}</td></tr>`;
  }).join("\n");
  return `<h2>Paper claims</h2>
<p class="summary">${summary}</p>
<table class="verdicts scorecard"><thead><tr><th>Claim</th><th>Paper</th><th>Ours [95% interval]</th>` +
    `<th>Verdict</th>${hasHalf ? "<th>Half horizon</th>" : ""}</tr></thead><tbody>\n${rows}\n</tbody></table>
<p class="muted">${escapeHtml(statisticsNote(verdicts))}</p>
<details><summary>Why: source, difference, statistics and reason per claim</summary>
<table class="verdict-details"><thead><tr><th>Claim</th><th>Source</th><th>Δ</th><th>Statistics</th>` +
    `<th>Reason</th></tr></thead><tbody>\n${details}\n</tbody></table></details>`;
}

function sectionHtml(section: ReportSection): string {
  const parts = [
    section.folded
      ? `<details class="section"><summary><h2>${escapeHtml(section.heading)}</h2></summary>`
      : `<h2>${escapeHtml(section.heading)}</h2>`,
  ];
  for (const para of (section.text ?? "").split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length > 0)) {
    parts.push(`<p>${escapeHtml(para)}</p>`);
  }
  for (const chart of section.charts ?? []) {
    parts.push(
      `<div class="chart" id="chart-${chart.id}" data-spec="spec-${chart.id}"></div>`,
      `<script type="application/json" id="spec-${chart.id}">${jsonForScript(chart.spec)}</script>`,
    );
    if (chart.svgPath) {
      parts.push(`<div class="chart-links"><a href="${escapeHtml(chart.svgPath)}">static SVG</a></div>`);
    }
  }
  for (const table of section.tables ?? []) parts.push(tableHtml(table));
  if (section.links && section.links.length > 0) {
    const items = section.links.map((l) =>
      `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a></li>`
    );
    parts.push(`<ul>${items.join("")}</ul>`);
  }
  if (section.folded) parts.push("</details>");
  return parts.join("\n");
}

/** Renders a report to one self-contained HTML document (libraries inlined, no network access). */
export async function renderReportHtml(report: Report): Promise<string> {
  checkChartIds(report);
  const libraries = await loadBrowserLibraries();
  const envRows = Object.entries(report.environment)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v === null ? "" : String(v))}</td></tr>`)
    .join("\n");
  const versions = libraries.map((l) => `${l.name} ${l.version}`).join(", ");
  const scripts = libraries
    .map((l) => `<script data-library="${l.name}@${l.version}">${scriptForInlining(l.source)}</script>`)
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
${verdictSectionHtml(report.verdicts)}
<details><summary>How this report was made: command, git revision, environment, config</summary>
<h3>Command</h3>
<pre><code>${escapeHtml(report.command)}</code></pre>
<table class="meta"><tbody>
<tr><th>git revision</th><td><code>${escapeHtml(report.gitRevision)}</code></td></tr>
${envRows}
<tr><th>report libraries</th><td>${escapeHtml(versions)} (inlined)</td></tr>
</tbody></table>
<h3>Config</h3><pre><code>${escapeHtml(JSON.stringify(report.config, null, 2) ?? "null")}</code></pre>
</details>
${report.sections.map(sectionHtml).join("\n")}
${scripts}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Writes `index.html`, `verdicts.json` (the verdicts as data, see `verdictsJson`) and one `<chart id>.svg`
 * per chart into `dir` (created if missing); each chart links to its written SVG. Returns the paths written.
 */
export async function writeReport(
  dir: string,
  report: Report,
): Promise<{ html: string; svgs: string[]; verdicts: string; markdown: string }> {
  checkChartIds(report);
  await Deno.mkdir(dir, { recursive: true });
  const svgs: string[] = [];
  const sections: ReportSection[] = [];
  for (const section of report.sections) {
    const charts: ReportChart[] = [];
    for (const chart of section.charts ?? []) {
      const file = `${dir}/${chart.id}.svg`;
      await Deno.writeTextFile(file, await renderSvg(chart.spec));
      svgs.push(file);
      charts.push({ ...chart, svgPath: `${chart.id}.svg` });
    }
    sections.push({ ...section, charts });
  }
  const html = `${dir}/index.html`;
  await Deno.writeTextFile(html, await renderReportHtml({ ...report, sections }));
  const verdicts = `${dir}/verdicts.json`;
  await Deno.writeTextFile(verdicts, `${JSON.stringify(verdictsJson(report.verdicts), null, 2)}\n`);
  const markdown = `${dir}/verdicts.md`;
  await Deno.writeTextFile(markdown, verdictsMarkdown(report));
  return { html, svgs, verdicts, markdown };
}
