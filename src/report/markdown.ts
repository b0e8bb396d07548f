/**
 * The verdicts as a Markdown page (`verdicts.md` beside `index.html`): the command, git revision and
 * environment of the report, then one row per claim with the paper's number, ours with its interval, n, the
 * Holm-corrected p and the verdict at the full and at half the horizon. Meant to be committed as a record
 * of a run (docs/results-small.md), so it holds no charts and nothing that needs a browser.
 */
import type { Report } from "./html.ts";
import { CORRECTION, formatP, type Verdict } from "./verdicts.ts";

/** A table cell: pipes escaped, line breaks folded. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replace(/\s*\n\s*/g, " ");
}


/** The half-horizon verdict, marked where the ranking flips between the horizons. */
function halfText(v: Verdict): string {
  const h = v.halfHorizon;
  if (!h) return "-";
  return h.flips ? `${h.verdict} (ranking flips)` : h.verdict;
}

/** The Markdown page of a report's verdicts. */
export function verdictsMarkdown(report: Pick<Report, "title" | "command" | "gitRevision" | "environment" | "verdicts">): string {
  const env = Object.entries(report.environment).map(([k, v]) => `${k} ${v}`).join(", ");
  const counts = new Map<string, number>();
  for (const v of report.verdicts) counts.set(v.verdict, (counts.get(v.verdict) ?? 0) + 1);
  const lines = [
    `# ${report.title}: verdicts`,
    "",
    `- command: \`${report.command}\``,
    `- git revision: ${report.gitRevision}`,
    `- environment: ${env}`,
    `- ${report.verdicts.length} claims: ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`,
    `- p: two-sided, ${CORRECTION}-corrected over the report's claims; "half" is the same claim judged at half ` +
    `the training horizon from the same runs`,
    "",
    "| claim | paper | ours | n | p (Holm) | verdict | half horizon |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...report.verdicts.map((v) =>
      `| ${
        [
          v.id,
          v.paper,
          v.ours,
          v.stats ? String(v.stats.n) : "-",
          v.stats?.pHolm == null ? "-" : formatP(v.stats.pHolm),
          `**${v.verdict}**`,
          halfText(v),
        ].map(cell).join(" | ")
      } |`
    ),
    "",
    "## Reasons",
    "",
    ...report.verdicts.map((v) => `- **${cell(v.id)}** (${v.verdict}): ${cell(v.reason)}`),
    "",
  ];
  return lines.join("\n");
}
