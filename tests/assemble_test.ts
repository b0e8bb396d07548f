/**
 * Reports from real (small) run directories: every claim's measurement against an independent computation
 * from the Arrow tables, the sections, the written HTML in headless Chromium, and a report merged from
 * shard folders against the report of the unsharded folder.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { SUITES } from "../src/suite/definitions/mod.ts";
import { SCALE_SETTINGS } from "../src/suite/scales.ts";
import { jobsWithDependencies, reproduceJobs } from "../src/cli/reproduce.ts";
import { makeOptimizer } from "../src/optim/mod.ts";
import {
  assembleReport,
  fitSmoothnessRuns,
  inferScale,
  judgeClaims,
  loadRuns,
  REPORT_PAPERS,
  type RunRecord,
  verdictTableText,
} from "../src/report/assemble.ts";
import { loadPaperClaims } from "../src/report/claims.ts";
import type { Measured, Verdict } from "../src/report/verdicts.ts";
import { type Report, writeReport } from "../src/report/html.ts";
import { measureClaims } from "../src/report/measure.ts";
import { downsample, MAX_SERIES_POINTS } from "../src/report/sections.ts";
import { fitL0L1 } from "../src/smoothness/fit.ts";
import { median } from "../src/smoothness/predict.ts";
import { expandSuites, shardJobs } from "../src/suite/jobs.ts";
import { seedList } from "../src/suite/seeds.ts";
import type { SuiteJob } from "../src/suite/types.ts";
import { readColumns, readRows } from "../src/trace/arrow_read.ts";
import { Browser, CHROMIUM_PATH, chromiumAvailable } from "./helpers/chromium.ts";

const TINY_GPT = { layers: 1, heads: 2, width: 16, context: 8, batch: 2 };
const SWEPT = ["muon-adam", "muon-adam-momo", "muonmax", "muonmax-momo"];
const tiny = SCALE_SETTINGS.tiny;

/**
 * The tiny scale's jobs, shrunk so that each trains in well under a second: every smoothness, Gluon and
 * step-time job, and the language-model sweep of four optimizers at two LRs.
 */
async function testJobs(): Promise<SuiteJob[]> {
  const all = await expandSuites(SUITES, "tiny", seedList(1));
  const sweep = (j: SuiteJob) =>
    j.config.workload === tiny.gpt && SWEPT.includes(j.config.optimizer) &&
    [2, 3].includes(Number(j.config.tags?.lr_index));
  return all.filter((j) => j.config.suite !== "lr-sweep" || sweep(j)).map((j) => ({
    ...j,
    config: {
      ...j.config,
      model: j.config.workload === tiny.cnn ? { batch: 8 } : TINY_GPT,
      steps: 8,
      evalEvery: 4,
      evalBatches: 1,
      smoothnessEvery: j.config.smoothnessEvery ? 2 : 0,
    },
  }));
}

const work = await Deno.makeTempDir({ prefix: "lmo-assemble-test-" });
let built: Promise<{ jobs: SuiteJob[]; runs: RunRecord[] }> | undefined;

/** Trains the test jobs once (shared by the tests) into `<work>/all`. */
function buildRuns() {
  built ??= (async () => {
    const jobs = await testJobs();
    const summaries = await reproduceJobs(jobs, { out: `${work}/all`, print: () => {}, progress: false });
    assert.deepEqual(summaries.filter((s) => s.action === "failed"), []);
    const { runs, skipped, duplicates } = await loadRuns([`${work}/all`]);
    assert.deepEqual([skipped, duplicates], [[], []]);
    return { jobs, runs };
  })();
  return built;
}

/** The runs of a suite, optionally with a variant tag. */
function runsOf(runs: RunRecord[], suite: string, variant?: string): RunRecord[] {
  return runs.filter((r) =>
    r.config.suite === suite && (variant === undefined || r.config.tags.variant === variant)
  );
}

/** Per layer of a run: the hinge fit (λ = 5) of its layers table, computed here from the Arrow columns. */
async function independentFits(run: RunRecord) {
  const c = await readColumns(run.dir, "layers");
  const layers = new Map<string, { role: string; x: number[]; y: number[]; radius: number[] }>();
  c.step.forEach((_, i) => {
    const l = layers.get(String(c.layer[i])) ?? { role: String(c.role[i]), x: [], y: [], radius: [] };
    layers.set(String(c.layer[i]), l);
    l.radius.push(Number(c.radius[i]));
    if (c.l_hat[i] !== null) {
      l.x.push(Number(c.grad_dual_next[i]));
      l.y.push(Number(c.l_hat[i]));
    }
  });
  return [...layers.entries()].map(([name, l]) => ({ name, ...l, fit: fitL0L1(l.x, l.y, { lambda: 5 }) }));
}

/** The one seed's value of a scalar measurement (these runs have one seed). */
const scalar = (m: Measured) => {
  const values = (m.measurement as Extract<Measured["measurement"], { kind: "scalar" }>).values;
  assert.equal(values.length, 1);
  return values[0];
};
const named = (m: Measured) => (m.measurement as Extract<Measured["measurement"], { kind: "named" }>).values;

Deno.test("claims: every measurement is the independent computation from the run directories", async () => {
  const { runs } = await buildRuns();
  assert.equal(inferScale(runs), "tiny");
  const fits = await fitSmoothnessRuns(runs);
  assert.equal(
    fits.length,
    4,
    "uScion, AdamW and Euclidean NanoGPT runs and the CNN run measured smoothness",
  );
  const claims = (await Promise.all(REPORT_PAPERS.map(loadPaperClaims))).flatMap((f) => f.claims);
  const { measurements: m, missing } = measureClaims(claims.map((c) => c.id), {
    scale: "tiny",
    settings: tiny,
    runs,
    fits,
  });
  assert.deepEqual(missing, {}, "every claim has data");

  const [uscion] = runsOf(runs, "gluon-smoothness", "uscion").filter((r) =>
    r.config.smoothnessNorms === "scion" &&
    r.config.workload === tiny.gptModded
  );
  const layers = await independentFits(uscion);
  const hidden = layers.filter((l) => l.role === "hidden");
  const [wte] = layers.filter((l) => l.role === "tied_embedding");
  assert.equal(scalar(m["gluon.nanogpt.hidden_L1"]), median(hidden.map((l) => l.fit.L1)));
  assert.equal(scalar(m["gluon.nanogpt.embedding_L1"]), wte.fit.L1);
  assert.deepEqual(named(m["gluon.nanogpt.hidden_L1_spread"]).hidden_L1_max, [
    Math.max(...hidden.map((l) => l.fit.L1)),
  ]);
  const radius = named(m["gluon.nanogpt.radius_hidden"]);
  const hyper = makeOptimizer("uscion").hyper;
  const lrRho = Number(hyper.lr) * Number(hyper.scale);
  assert.ok(Math.abs(radius.tuned_radius[0] / lrRho - 1) < 1e-6, "used radius = lr * rho (in float32)");
  // The predicted step: 1/L1 where L0 <= 1e-3 L1 median(g), else Gluon's g / (L0 + L1 g) at the median g.
  const predicted = (l: { x: number[]; fit: { L0: number; L1: number } }) => {
    const g = median(l.x);
    return l.fit.L0 <= 1e-3 * l.fit.L1 * g ? 1 / l.fit.L1 : g / (l.fit.L0 + l.fit.L1 * g);
  };
  assert.deepEqual(radius.predicted_radius, [median(hidden.map(predicted))]);
  assert.deepEqual(named(m["gluon.nanogpt.radius_embedding"]).tuned_radius, [median(wte.radius)]);
  const [near] = (m["gluon.nanogpt.L0_near_zero"].measurement as any).seeds;
  assert.deepEqual(Object.keys(near).sort(), layers.map((l) => l.name).sort());
  assert.equal(near.wte.value, wte.fit.L0);
  assert.equal(near.wte.reference, wte.fit.L0 + wte.fit.L1 * median(wte.x));

  const [adamw] = runsOf(runs, "gluon-smoothness", "adamw");
  const adamwLayers = await independentFits(adamw);
  assert.deepEqual(named(m["gluon.nanogpt.adamw_fit_worse"]), {
    unscion: [median(layers.map((l) => l.fit.mseRel))],
    adamw: [median(adamwLayers.map((l) => l.fit.mseRel))],
  });
  const [cnn] = runsOf(runs, "gluon-smoothness").filter((r) => r.config.workload === tiny.cnn);
  const cnnLayers = await independentFits(cnn);
  assert.equal(scalar(m["gluon.cnn.head_L1"]), cnnLayers.find((l) => l.role === "head")!.fit.L1);
  assert.equal(
    scalar(m["gluon.cnn.body_L1"]),
    median(cnnLayers.filter((l) => l.role !== "head").map((l) => l.fit.L1)),
  );

  // Crawshaw et al.: the best LR's final validation loss, from the evals table of each sweep run.
  const finalVal = async (r: RunRecord) => ((await readColumns(r.dir, "evals")).loss as number[]).at(-1)!;
  const best = async (optimizer: string) => {
    const sweep = runsOf(runs, "lr-sweep").filter((r) => r.config.optimizer === optimizer);
    assert.equal(sweep.length, 2);
    return Math.min(...await Promise.all(sweep.map(finalVal)));
  };
  const fig5 = named(m["crawshaw.fig5.muonadam_beats_muonmax"]);
  assert.deepEqual(fig5.muonadam, [await best("muon-adam")]);
  assert.deepEqual(fig5.muonmax, [await best("muonmax")]);
  assert.equal(scalar(m["crawshaw.table4.muonadam_momo"]), await best("muon-adam-momo"));
  const sweeps = (m["crawshaw.fig1.muonmax_momo_wider_than_muonadam"].measurement as any).sweeps;
  assert.deepEqual(Object.keys(sweeps).sort(), ["muonadam", "muonadam-momo", "muonmax", "muonmax-momo"]);

  // Step times: the interleaved timing run's samples, paired by round.
  const samples = (await readRows(runsOf(runs, "step-time", "interleaved")[0].dir, "timings"))
    .map((r) => ({ round: Number(r.round), variant: String(r.variant), ms: Number(r.ms_per_step) }));
  const ms = (variant: string, round: number) =>
    samples.find((x) => x.variant === variant && x.round === round)!.ms;
  const rounds = [...new Set(samples.map((x) => x.round))];
  assert.equal(rounds.length, tiny.timingRounds);
  const ratios = rounds.map((r) => ms("muonmax-momo-exact", r) / ms("muonadam", r) - 1);
  const overhead = m["crawshaw.timing.exact_nuclear_overhead"].measurement as any;
  assert.equal(overhead.values.length, tiny.timingRounds, "one overhead per round, paired");
  overhead.values.forEach((v: number, i: number) => assert.ok(Math.abs(v - ratios[i]) < 1e-12));
});

Deno.test("verdicts: one row per fixture claim; no data names the suite that feeds it", async () => {
  const { runs } = await buildRuns();
  const fits = await fitSmoothnessRuns(runs);
  const claims = (await Promise.all(REPORT_PAPERS.map(loadPaperClaims))).flatMap((f) => f.claims);
  const verdicts = await judgeClaims(runs, fits, "tiny");
  assert.deepEqual(verdicts.map((v) => v.id), claims.map((c) => c.id));
  for (const [i, v] of verdicts.entries()) {
    const comparable = claims[i].comparable_at ?? (claims[i].test.kind === "approx" ? ["paper"] : ["tiny"]);
    if (!comparable.includes("tiny")) assert.equal(v.verdict, "not comparable at this scale", v.id);
    else {
      if (v.id.startsWith("crawshaw.timing.")) {
        // Timing claims rest on the paired rounds of the interleaved job (their verdict depends on the machine).
        assert.equal(v.stats!.n, tiny.timingRounds, v.id);
      } else {
        // One seed never decides a claim.
        assert.equal(v.verdict, "inconclusive", `${v.id}: ${v.verdict} (${v.reason})`);
        assert.match(v.reason, /1 seed cannot decide a claim \(at least 3 needed\)/, v.id);
        assert.equal(v.stats!.n, 1);
      }
    }
  }
  // Sweep claims carry their half-horizon verdict (evals every 4 of 8 steps: judged at step 4).
  const half = verdicts.find((v) => v.id === "crawshaw.fig5.muonadam_beats_muonmax")!.halfHorizon!;
  assert.equal(half.verdict, "inconclusive");
  assert.match(half.setting!, /judged at step 4, half the horizon/);
  const withoutTiming = await judgeClaims(runs.filter((r) => r.config.suite !== "step-time"), fits, "tiny");
  for (const v of withoutTiming.filter((v) => v.id.startsWith("crawshaw.timing."))) {
    assert.equal(v.verdict, "no data");
    assert.match(
      v.reason,
      /no runs of the step-time suite at tiny scale \(deno task reproduce --suite step-time\)/,
    );
  }
  const text = verdictTableText(verdicts);
  assert.equal(text.split("\n").length, claims.length + 1);
  assert.match(text, /^claim\s+verdict\s+ours\s+paper$/m);
  assert.match(text, /^gluon\.nanogpt\.hidden_L1\s+not comparable at this scale\s+\d/m);
});

Deno.test("downsample keeps at most the limit, evenly spaced, with the first and last point", () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const kept = downsample(items);
  assert.equal(kept.length, MAX_SERIES_POINTS);
  assert.deepEqual([kept[0], kept.at(-1)], [0, 999]);
  const gaps = kept.slice(1).map((x, i) => x - kept[i]);
  assert.ok(Math.max(...gaps) - Math.min(...gaps) <= 1);
  assert.deepEqual(downsample([1, 2, 3]), [1, 2, 3]);
});

/** The report of a run folder, written to `<out>`. */
async function reportOf(paths: string[], out: string): Promise<Report> {
  const { runs, skipped } = await loadRuns(paths);
  return await assembleReport(runs, {
    scale: "tiny",
    title: "test report",
    command: "test",
    config: {},
    outDir: out,
    skipped,
  });
}

const chromiumReason = chromiumAvailable() ? "" : `${CHROMIUM_PATH} is absent (apt-get install -y chromium)`;
if (chromiumReason) console.log(`skipping the headless-Chromium reproduction-report test: ${chromiumReason}`);

Deno.test({
  name: "report: sections, raw-data links, and index.html renders offline in headless Chromium",
  ignore: chromiumReason !== "",
  fn: async () => {
    const { runs } = await buildRuns();
    const dir = `${work}/html`;
    const report = await reportOf([`${work}/all`], dir);
    const headings = report.sections.map((s) => s.heading);
    assert.deepEqual(headings.filter((h) => !h.startsWith("Smoothness: ")), [
      `LR sweep: ${tiny.gpt}`,
      `Steps to target: ${tiny.gpt}`,
      `Gluon vs tuned: ${tiny.gptModded}, seed 0`,
      "Step time",
      "Runs",
      "Raw data",
    ]);
    assert.equal(headings.filter((h) => h.startsWith("Smoothness: ")).length, 4);
    const runsSection = report.sections.find((s) => s.heading === "Runs")!;
    assert.equal(runsSection.folded, true, "the runs table folds away at the end");
    const runsTable = runsSection.tables![0];
    assert.equal(runsTable.rows.length, runs.length);
    const smooth = report.sections.find((s) =>
      s.heading === `Smoothness: ${tiny.gptModded} uscion (scion norms)`
    )!;
    assert.deepEqual(smooth.tables![0].columns, [
      "layer",
      "role",
      "L0",
      "L1",
      "MSE_rel",
      "above",
      "predicted step",
      "used radius",
    ]);
    assert.equal(smooth.tables![0].rows.length, 7, "wte and six hidden matrices of the one-block model");
    const stepTimeTables = report.sections.find((s) => s.heading === "Step time")!.tables!;
    const stepTime = stepTimeTables.find((t) => t.caption === "Interleaved timing")!;
    assert.ok(stepTime.rows.some((r) => r[1] === "muonmax-momo-exact"));
    const links = report.sections.find((s) => s.heading === "Raw data")!.links!;
    assert.equal(links.length, runs.length * 4, "manifest, steps, layers and evals of each run");
    for (const link of links) {
      assert.ok(!link.href.startsWith("/"), `${link.href} is relative`);
      await Deno.stat(resolve(dir, link.href));
    }
    for (const section of report.sections) {
      for (const chart of section.charts ?? []) {
        const spec = chart.spec as any;
        const values = [spec.data?.values ?? [], ...(spec.layer ?? []).map((l: any) => l.data?.values ?? [])]
          .flat();
        assert.ok(
          values.length > 0 && values.length <= 20 * MAX_SERIES_POINTS,
          `${chart.id}: ${values.length} rows`,
        );
      }
    }

    const keep = Deno.env.get("LMO_KEEP_TEST_REPORT") === "1";
    const { html, svgs } = await writeReport(dir, report);
    const chartIds = report.sections.flatMap((s) => (s.charts ?? []).map((c) => c.id));
    assert.equal(svgs.length, chartIds.length);
    for (const svg of svgs) assert.match(await Deno.readTextFile(svg), /^<svg [^>]*class="marks"/);
    const browser = await Browser.launch();
    try {
      const page = await browser.newPage();
      const url = new URL(`file://${html}`).href;
      await page.navigate(url);
      await page.waitFor(`document.body.dataset.chartsDone === "true"`, 60_000);
      const charts = await page.evaluate<{ id: string; rendered: string; marks: number }[]>(`
        [...document.querySelectorAll(".chart")].map((el) => ({
          id: el.id,
          rendered: el.dataset.rendered,
          marks: el.querySelectorAll("svg .role-mark path, svg .role-mark rect, svg .role-mark line, canvas").length,
        }))`);
      assert.deepEqual(charts.map((c) => c.id), chartIds.map((id) => `chart-${id}`));
      for (const c of charts) {
        assert.equal(c.rendered, "ok", c.id);
        assert.ok(c.marks > 0, `${c.id} holds a rendered chart`);
      }
      const errors = page.messages.filter((m) => m.level === "error" || m.source === "exception");
      assert.deepEqual(errors, [], "no console errors or exceptions");
      assert.deepEqual(
        page.requests.filter((r) => r !== url && !r.startsWith("data:")),
        [],
        "no network requests",
      );
      const rows = await page.evaluate<number>(`document.querySelectorAll(".scorecard tbody tr").length`);
      assert.equal(rows, report.verdicts.length, "one scorecard line per claim");
      const first = await page.evaluate<string>(
        `document.querySelector("h1").nextElementSibling.textContent`,
      );
      assert.equal(first, "Paper claims", "the scorecard comes first");
      const json = JSON.parse(await Deno.readTextFile(`${dir}/verdicts.json`));
      assert.deepEqual(json.map((v: { id: string }) => v.id), report.verdicts.map((v) => v.id));
      const png = await page.screenshot();
      assert.deepEqual([...png.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47], "PNG signature");
      await Deno.writeFile(`${dir}/screenshot.png`, png);
      if (keep) console.log(`report kept at ${html}; screenshot ${dir}/screenshot.png`);
    } finally {
      await browser.close();
    }
  },
});

/** A report's content without what depends on wall time or paths: timing verdicts, step times, links. */
function comparable(report: Report): { verdicts: Verdict[]; sections: unknown } {
  return {
    verdicts: report.verdicts.filter((v) => !v.id.startsWith("crawshaw.timing.")),
    sections: report.sections
      .filter((s) => s.heading !== "Step time" && s.heading !== "Raw data")
      .map(({ links: _links, ...rest }) => rest),
  };
}

Deno.test("report: merged from three shard folders, it equals the report of the unsharded folder", async () => {
  const { jobs, runs } = await buildRuns();
  const subset = jobs.filter((j) => j.config.suite !== "step-time" && j.config.workload !== tiny.cnn);
  const dirs: string[] = [];
  for (let index = 0; index < 3; index++) {
    const shardJobsWithDeps = jobsWithDependencies(subset, shardJobs(subset, { index, count: 3 }));
    dirs.push(`${work}/shard-${index}`);
    await reproduceJobs(shardJobsWithDeps, { out: dirs[index], print: () => {}, progress: false });
  }
  const merged = await loadRuns(dirs);
  const gluon = subset.findIndex((j) => j.fitFrom);
  const dependency = subset.findIndex((j) => j.id === subset[gluon].fitFrom);
  assert.equal(
    merged.duplicates.length,
    gluon % 3 === dependency % 3 ? 0 : 1,
    "a dependency from another shard",
  );
  assert.equal(merged.runs.length, subset.length);

  const hashes = new Set(merged.runs.map((r) => r.manifest.config_hash));
  const unsharded = runs.filter((r) => hashes.has(r.manifest.config_hash));
  const options = { scale: "tiny" as const, title: "t", command: "c", config: {}, outDir: work };
  const a = comparable(await assembleReport(merged.runs, options));
  const b = comparable(await assembleReport(unsharded, options));
  assert.deepEqual(a, b);
  assert.ok(a.verdicts.some((v) => v.stats !== null && v.verdict === "inconclusive"));
});

globalThis.addEventListener("unload", () => {
  if (Deno.env.get("LMO_KEEP_TEST_REPORT") !== "1") Deno.removeSync(work, { recursive: true });
});
