import assert from "node:assert/strict";
import { verdictsMarkdown } from "../src/report/markdown.ts";
import {
  barSpec,
  lrBasinSpec,
  stepsToTargetSpec,
  type SweepRun,
  tableFromRecords,
  trainingCurvesSpec,
} from "../src/report/charts.ts";
import { loadPaperClaims } from "../src/report/claims.ts";
import { evaluateClaims } from "../src/report/verdicts.ts";
import { escapeHtml, jsonForScript, renderReportHtml, type Report, writeReport } from "../src/report/html.ts";
import { renderSvg } from "../src/report/svg.ts";
import { Rng } from "../src/trace/seeds.ts";
import { Browser, CHROMIUM_PATH, chromiumAvailable } from "./helpers/chromium.ts";

const OPTIMIZERS = ["muonadam", "muonadam-momo", "muonmax-momo"];
const HOSTILE = `</script><img src=x onerror="window.__pwned=1"> & "quotes"`;

/** Noisy decaying loss curves: 3 optimizers x 2 seeds x 40 steps. */
function curves() {
  const rng = new Rng(7);
  return OPTIMIZERS.flatMap((optimizer, k) =>
    [0, 1].flatMap((seed) =>
      Array.from({ length: 40 }, (_, step) => ({
        optimizer,
        seed,
        step,
        value: 1.2 + (3 - 0.2 * k) * Math.exp(-step / 12) + 0.03 * rng.normal(),
      }))
    )
  );
}

/** An LR sweep on 5 half-decades x 2 seeds; the largest LRs diverge for MuonAdam (3 runs in all). */
function sweep(): SweepRun[] {
  const rng = new Rng(11);
  const lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
  const grid: SweepRun[] = OPTIMIZERS.flatMap((optimizer, k) =>
    lrs.flatMap((lr, i) =>
      [0, 1].map((seed) => {
        const diverged = optimizer === "muonadam" && (i === 4 || (i === 3 && seed === 1));
        const loss = 1.5 + (0.08 + 0.05 * k) * (Math.log10(lr) + 3) ** 2 + 0.01 * rng.normal();
        return { optimizer, lr, seed, diverged, loss: diverged ? NaN : loss };
      })
    )
  );
  return [...grid, {
    optimizer: "muonadam-momo",
    lr: 3e-2,
    seed: 0,
    diverged: false,
    loss: 1.9,
    extension: true,
  }];
}

/** muonmax-momo's basin runs into the smallest LR of the grid. */
const OPEN_EDGES = [{ optimizer: "muonmax-momo", lr: 1e-4, loss: 2.0, side: "low" as const }];

/** Steps to target: one optimizer with a seed that never reached it. */
const TARGET_ROWS = [
  {
    optimizer: "muonadam",
    seeds: [{ seed: 0, step: 20 }, { seed: 1, step: 30 }, { seed: 2, step: 25 }],
    median: 25,
    ci: [20, 30] as [number, number],
  },
  {
    optimizer: "muonmax-momo",
    seeds: [{ seed: 0, step: 35 }, { seed: 1, step: null }, { seed: 2, step: null }],
    median: Infinity,
    ci: [35, Infinity] as [number, number],
  },
];

const barRows = [
  { category: "h.0.attn.c_q", value: 64.2, group: "hidden", reference: 69 },
  { category: "h.0.mlp.c_fc", value: 71.5, group: "hidden", reference: 69 },
  { category: "wte", value: 1.4, group: "embedding", reference: 1.3305 },
];

async function buildReport(): Promise<Report> {
  const gluon = await loadPaperClaims("2505.13416");
  const verdicts = evaluateClaims(gluon.claims, {
    "gluon.nanogpt.hidden_embedding_L1_ratio": {
      scale: "tiny",
      measurement: {
        kind: "named",
        paired: true,
        values: { hidden_L1: [60, 61, 59], embedding_L1: [1.5, 1.51, 1.49] },
      },
    },
    "gluon.nanogpt.hidden_L1": {
      scale: "tiny",
      setting: "a 0.8M-param char model",
      measurement: { kind: "scalar", values: [12, 12.1, 11.9] },
    },
    "gluon.nanogpt.hidden_above_embedding_L1": {
      scale: "tiny",
      measurement: {
        kind: "named",
        paired: true,
        values: { hidden_L1: [1, 1.1, 0.9], embedding_L1: [2, 2.1, 1.9] },
      },
    },
    "gluon.nanogpt.adamw_fit_worse": {
      scale: "tiny",
      measurement: { kind: "named", values: { unscion: [0.1], adamw: [0.3] } },
    },
  });
  return {
    title: "lmo-bench test report",
    command: "deno task reproduce --suite tiny --seeds 2",
    config: { suite: "tiny", seeds: [0, 1], note: HOSTILE },
    environment: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      cpus: navigator.hardwareConcurrency,
      webgpu: null,
    },
    gitRevision: "0123456789abcdef",
    verdicts,
    sections: [
      {
        heading: "Training curves",
        text: "Validation loss per step.\n\nOne colour per optimizer, one line per seed.",
        charts: [{
          id: "curves",
          spec: trainingCurvesSpec(curves(), { title: "validation loss", colorDomain: OPTIMIZERS }),
        }],
      },
      {
        heading: "LR sensitivity",
        charts: [{
          id: "basin",
          spec: lrBasinSpec(sweep(), {
            title: "final loss vs LR",
            colorDomain: OPTIMIZERS,
            openEdges: OPEN_EDGES,
          }),
        }],
        tables: [
          tableFromRecords([{ optimizer: "muonadam", best_lr: 1e-3, diverged: 3 }, { optimizer: HOSTILE }]),
        ],
      },
      {
        heading: `Smoothness ${HOSTILE}`,
        charts: [{ id: "l1_bars", spec: barSpec(barRows, { title: `fitted L1 ${HOSTILE}`, logY: true }) }],
        links: [{ label: "steps.arrow", href: "runs/tiny/steps.arrow" }],
      },
      {
        heading: "Steps to target",
        charts: [{
          id: "target",
          spec: stepsToTargetSpec(TARGET_ROWS, { title: "steps to 1.6", maxStep: 40 }),
        }],
      },
      { heading: "Runs", folded: true, tables: [tableFromRecords([{ run: "a", seed: 0 }])] },
    ],
  };
}

/** The `<path>` elements inside one Vega mark group (class `mark-<type> role-mark <name>`). */
function markPaths(svg: string, type: string, name: string): string[] {
  const group = svg.match(new RegExp(`<g class="mark-${type} role-mark ${name}"[^>]*>(.*?)</g>`, "s"));
  return group ? [...group[1].matchAll(/<path [^>]*>/g)].map((m) => m[0]) : [];
}

Deno.test("renderSvg: every chart kind gives a standalone SVG with its marks", async () => {
  const curveSvg = await renderSvg(trainingCurvesSpec(curves(), { title: "curves" }));
  assert.match(curveSvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="\d+" height="\d+"/);
  const lines = [...curveSvg.matchAll(/aria-roledescription="line mark" d="M[^"]+"/g)];
  assert.equal(lines.length, OPTIMIZERS.length * 2, "one line per (optimizer, seed)");

  const runs = sweep();
  const basinSvg = await renderSvg(lrBasinSpec(runs, { title: "basin" }));
  assert.equal(markPaths(basinSvg, "area", "layer_0_marks").length, 1);
  assert.equal(markPaths(basinSvg, "line", "layer_1_layer_0_marks").length, 1);
  const crosses = markPaths(basinSvg, "symbol", "layer_2_marks");
  assert.equal(crosses.length, runs.filter((r) => r.diverged).length, "one cross per diverged run");
  const rings = markPaths(basinSvg, "symbol", "layer_3_marks");
  assert.equal(rings.length, 1, "one ring per run outside the base grid");
  const withEdges = await renderSvg(lrBasinSpec(runs, { title: "basin", openEdges: OPEN_EDGES }));
  const triangles = markPaths(withEdges, "symbol", "layer_4_marks");
  assert.equal(triangles.length, 1, "one triangle per open basin edge");
  assert.equal(markPaths(basinSvg, "symbol", "layer_4_marks").length, 0, "no open edges, no triangles");

  const targetSvg = await renderSvg(stepsToTargetSpec(TARGET_ROWS, { title: "t", maxStep: 40 }));
  assert.equal(
    markPaths(targetSvg, "symbol", "layer_2_marks").length,
    6,
    "one mark per seed, reached or not",
  );
  assert.equal(markPaths(targetSvg, "symbol", "layer_1_marks").length, 2, "one median per optimizer");
  for (const c of crosses) {
    assert.match(c, /transform="translate\([\d.]+,6\)"/, "crosses are pinned to the top");
  }
  const meanPoints = markPaths(basinSvg, "symbol", "layer_1_layer_1_marks");
  assert.equal(
    meanPoints.length,
    new Set(runs.filter((r) => !r.diverged).map((r) => `${r.optimizer}@${r.lr}`)).size,
  );

  const barSvg = await renderSvg(barSpec(barRows, { title: "bars" }));
  assert.equal([...barSvg.matchAll(/aria-roledescription="bar"/g)].length, barRows.length);
  assert.equal([...barSvg.matchAll(/aria-roledescription="tick"/g)].length, barRows.length);

  await assert.rejects(() => renderSvg({ mark: "line" } as never), /Vega-Lite spec failed to compile/);
});

Deno.test("renderReportHtml: self-contained, escaped, libraries inlined at the versions deno.json pins", async () => {
  const html = await renderReportHtml(await buildReport());
  assert.doesNotMatch(html, /<script[^>]+src=/i, "no external scripts");
  assert.doesNotMatch(html, /<link[^>]+href=/i, "no external stylesheets");
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  for (const name of ["vega", "vega-lite", "vega-embed"]) {
    const pinned = (denoJson.imports[name] as string).split("@").pop();
    assert.ok(html.includes(`<script data-library="${name}@${pinned}">`), `${name}@${pinned} inlined`);
  }
  // Every `<script` opening is matched by exactly one closing tag: nothing inside closes a script early.
  assert.equal(html.match(/<script/gi)!.length, html.match(/<\/script>/gi)!.length);
  assert.ok(html.includes(escapeHtml(HOSTILE)));
  assert.ok(!html.includes(`<img src=x`));
  assert.equal(JSON.parse(jsonForScript({ t: HOSTILE })).t, HOSTILE);
  assert.doesNotMatch(jsonForScript({ t: HOSTILE }), /</);
  await assert.rejects(
    async () =>
      renderReportHtml({
        ...(await buildReport()),
        sections: [{ heading: "x", charts: [{ id: "a b", spec: {} as never }] }],
      }),
    /chart id "a b" in section "x" is not allowed/,
  );
});

const chromiumReason = chromiumAvailable() ? "" : `${CHROMIUM_PATH} is absent (apt-get install -y chromium)`;
if (chromiumReason) console.log(`skipping the headless-Chromium report test: ${chromiumReason}`);

Deno.test("verdicts.md: the command, revision and one table row per claim with n, Holm p and both horizons", async () => {
  const report = await buildReport();
  const md = verdictsMarkdown(report);
  assert.ok(md.includes(`- command: \`${report.command}\``));
  assert.ok(md.includes(`- git revision: ${report.gitRevision}`));
  const rows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| claim") && !l.startsWith("| ---"));
  assert.equal(rows.length, report.verdicts.length);
  for (const [i, v] of report.verdicts.entries()) {
    const cells = rows[i].slice(2, -2).split(" | ");
    assert.equal(cells.length, 7, rows[i]);
    assert.equal(cells[0], v.id);
    assert.equal(cells[3], v.stats ? String(v.stats.n) : "-");
    assert.equal(cells[5], `**${v.verdict}**`);
  }
  const ratio = rows.find((r) => r.startsWith("| gluon.nanogpt.hidden_embedding_L1_ratio |"))!;
  assert.match(ratio, /\| 3 \| [0-9.e<-]+ \| \*\*holds\*\* \|/);
});

Deno.test({
  name: "writeReport: SVG per chart, and index.html renders offline in headless Chromium",
  ignore: chromiumReason !== "",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "lmo-report-test-" });
    const keep = Deno.env.get("LMO_KEEP_TEST_REPORT") === "1";
    const browser = await Browser.launch();
    try {
      const { html, svgs, verdicts } = await writeReport(dir, await buildReport());
      assert.deepEqual(svgs.map((s) => s.slice(dir.length + 1)), [
        "curves.svg",
        "basin.svg",
        "l1_bars.svg",
        "target.svg",
      ]);
      const records = JSON.parse(await Deno.readTextFile(verdicts));
      const ratio = records.find((r: { id: string }) => r.id === "gluon.nanogpt.hidden_embedding_L1_ratio");
      assert.equal(ratio.verdict, "holds");
      assert.equal(ratio.n, 3);
      assert.equal(ratio.ci.length, 2);
      assert.ok(ratio.p < 0.05 && ratio.p_holm >= ratio.p);
      for (const s of svgs) {
        const svg = await Deno.readTextFile(s);
        assert.match(svg, /^<svg [^>]*class="marks"/);
        assert.match(svg, /role-mark/);
      }
      const page = await browser.newPage();
      const url = new URL(`file://${html}`).href;
      await page.navigate(url);
      await page.waitFor(`document.body.dataset.chartsDone === "true"`);
      const charts = await page.evaluate<{ id: string; rendered: string; svgMarks: number }[]>(`
        [...document.querySelectorAll(".chart")].map((el) => ({
          id: el.id,
          rendered: el.dataset.rendered,
          svgMarks: el.querySelectorAll("svg .role-mark path, svg .role-mark rect, canvas").length,
        }))`);
      assert.deepEqual(charts.map((c) => c.id), [
        "chart-curves",
        "chart-basin",
        "chart-l1_bars",
        "chart-target",
      ]);
      for (const c of charts) {
        assert.equal(c.rendered, "ok", `${c.id} rendered`);
        assert.ok(c.svgMarks > 0, `${c.id} holds a rendered svg with marks`);
      }
      assert.ok(page.requests.includes(url), "network monitoring saw the report itself");
      const errors = page.messages.filter((m) => m.level === "error" || m.source === "exception");
      assert.deepEqual(errors, [], "no console errors or exceptions");
      const foreign = page.requests.filter((r) => r !== url && !r.startsWith("data:"));
      assert.deepEqual(foreign, [], "no network requests besides the report itself");
      assert.equal(await page.evaluate("window.__pwned"), undefined, "escaped text did not run");
      assert.equal(
        await page.evaluate(`document.querySelectorAll("h2")[3].textContent`),
        `Smoothness ${HOSTILE}`,
      );
      const verdictCells = await page.evaluate<string[]>(
        `[...document.querySelectorAll(".scorecard td.verdict")].map((td) => td.className + ":" + td.textContent)`,
      );
      assert.ok(verdictCells.includes("verdict v-inconclusive:inconclusive"), "one seed: inconclusive");
      const folded = await page.evaluate<boolean>(
        `[...document.querySelectorAll("details.section summary h2")].some((h) => h.textContent === "Runs")`,
      );
      assert.ok(folded, "the runs table folds away");
      assert.ok(verdictCells.includes("verdict v-holds:holds"));
      assert.ok(verdictCells.includes("verdict v-fails:does not hold"));
      assert.ok(verdictCells.includes("verdict v-incomparable:not comparable at this scale"));
      assert.ok(verdictCells.includes("verdict v-nodata:no data"));

      await page.evaluate(`console.error("probe")`);
      assert.ok(page.messages.some((m) => m.text === "probe"), "console monitoring is live");

      const png = await page.screenshot();
      assert.deepEqual(
        [...png.slice(0, 8)],
        [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
        "PNG signature",
      );
      await Deno.writeFile(`${dir}/screenshot.png`, png);
      if (keep) console.log(`report kept at ${dir} (index.html, *.svg, screenshot.png)`);
    } finally {
      await browser.close();
      if (!keep) await Deno.remove(dir, { recursive: true });
    }
  },
});
