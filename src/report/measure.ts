/**
 * Our measurement for each paper claim, derived from run directories only (DESIGN.md decision 7): the
 * per-layer (L0, L1) fits of the gluon-smoothness runs, the LR sweeps of the lr-sweep runs (best LR and
 * basin via `analyzeBasin`), and the step times of the step-time runs. Every measurement keeps one value per
 * seed (per run), so that verdicts carry intervals over seeds (./verdicts.ts); nothing is copied from the
 * papers. Values taken from the same runs (two layer groups of one fit) are marked paired. A claim whose suite did not run gets no measurement,
 * and the verdict says which suite would feed it.
 *
 * Layer groups: "hidden" is role hidden (the transformer matrices); "embedding" is role tied_embedding or
 * embedding; the CNN's "body" is every conv kernel, bias and gain, its "head" role head. A layer's used
 * radius is the median of its `radius` column (src/smoothness/run_fit.ts), its predicted radius the
 * `predictedStep` of its fit.
 */
import { type Scale, type ScaleSettings, TEXT_PLATEAU } from "../suite/scales.ts";
import { median } from "../stats/sample.ts";
import type { LayerFit, LayerSeries, RunFit } from "../smoothness/run_fit.ts";
import { summarizeTimes } from "../stats/times.ts";
import { analyzeBasin, isDiverged } from "../stats/basin.ts";
import type { SweepPoint } from "./claims.ts";
import type { Measured } from "./verdicts.ts";
import type { RunRecord } from "./assemble.ts";

/** A smoothness run and its per-layer fits. */
export interface SmoothnessFit {
  run: RunRecord;
  fit: RunFit;
}

/** What the measurements are taken from. */
export interface MeasureInput {
  scale: Scale;
  /** The scale's workloads: which runs feed the claims. */
  settings: ScaleSettings;
  runs: readonly RunRecord[];
  fits: readonly SmoothnessFit[];
  /** Where sweep claims read each run's validation loss (default: the final one). */
  horizon?: Horizon;
}

/** How one claim is measured: the suite whose runs feed it, and the measurement (undefined: no runs). */
interface ClaimMeasure {
  suite: string;
  measure(input: MeasureInput): Measured | undefined;
}

/** Roles of each layer group (see the module comment). */
const HIDDEN = ["hidden"];
const EMBEDDING = ["tied_embedding", "embedding"];
const CNN_BODY = ["conv", "bias", "gain"];
const HEAD = ["head"];

/** The optimizer each name of Crawshaw et al.'s claims stands for. */
const SWEEP_NAMES: Readonly<Record<string, string>> = {
  "muonadam": "muon-adam",
  "muonadam-momo": "muon-adam-momo",
  "muonmax": "muonmax",
  "muonmax-momo": "muonmax-momo",
};

/** The run's label in tables and legends: its `variant` tag, else its optimizer. */
export function runLabel(run: RunRecord): string {
  return String(run.config.tags.variant ?? run.config.optimizer);
}

/** The layers of a fit whose role is one of `roles`, each with its series. */
export function layersWithRole(
  fit: RunFit,
  roles: readonly string[],
): { series: LayerSeries; fit: LayerFit }[] {
  return fit.fits.flatMap((f, i) =>
    roles.includes(fit.layers[i].role ?? "") ? [{ series: fit.layers[i], fit: f }] : []
  );
}

/** The median of `pick` over the layers of the given roles (NaN when there are none). */
function medianOver(fit: RunFit, roles: readonly string[], pick: (f: LayerFit) => number | null): number {
  const values = layersWithRole(fit, roles).map(({ fit }) => pick(fit)).filter((v): v is number =>
    v !== null
  );
  return values.length ? median(values) : NaN;
}

/** The layer's typical fitted L-hat: L0 + L1 * median ||g||* (the near-zero reference for L0). */
export function typicalLHat(series: LayerSeries, fit: LayerFit): number {
  return fit.L0 + fit.L1 * median(series.gradDual);
}

/** Which smoothness runs: workload, variant tag and the geometry they measured in. */
interface SmoothnessSelector {
  workload: string;
  variant: string;
  geometry: "scion" | "euclidean";
}

/** The gluon-smoothness fits of the selected runs (one per seed). */
function selectFits(input: MeasureInput, sel: SmoothnessSelector): SmoothnessFit[] {
  return input.fits.filter(({ run }) =>
    run.config.suite === "gluon-smoothness" && run.config.workload === sel.workload &&
    run.config.tags.variant === sel.variant && run.config.smoothnessNorms === sel.geometry
  );
}

/** "nanogpt-tiny-modded uscion (scion norms), 100 steps, 1 seed". */
function describeFits(fits: readonly SmoothnessFit[]): string {
  const c = fits[0].run.config;
  return `${c.workload} ${c.tags.variant} (${c.smoothnessNorms} norms), ${c.steps} steps, ` +
    `${fits.length} seed${fits.length === 1 ? "" : "s"}`;
}

/** A claim measured on one set of smoothness fits. */
function onFits(
  select: (s: ScaleSettings) => SmoothnessSelector,
  make: (fits: SmoothnessFit[]) => Measured["measurement"],
): ClaimMeasure {
  return {
    suite: "gluon-smoothness",
    measure(input) {
      const fits = selectFits(input, select(input.settings));
      if (!fits.length) return undefined;
      return { scale: input.scale, setting: describeFits(fits), measurement: make(fits) };
    },
  };
}

/** A named measurement over several sets of smoothness fits, one name each (names without runs are left out). */
function namedOverFits(
  selects: Record<string, (s: ScaleSettings) => SmoothnessSelector>,
  value: (fit: RunFit) => number,
): ClaimMeasure {
  return {
    suite: "gluon-smoothness",
    measure(input) {
      const values: Record<string, number[]> = {};
      const settings: string[] = [];
      for (const [name, select] of Object.entries(selects)) {
        const fits = selectFits(input, select(input.settings));
        if (!fits.length) continue;
        values[name] = fits.map((f) => value(f.fit));
        settings.push(describeFits(fits));
      }
      if (!settings.length) return undefined;
      return { scale: input.scale, setting: settings.join("; "), measurement: { kind: "named", values } };
    },
  };
}

/** Per-layer L0 against the layer's typical L-hat, one record of layers per seed. */
function l0NearZero(fits: SmoothnessFit[]): Measured["measurement"] {
  return {
    kind: "relative",
    seeds: fits.map(({ fit }) =>
      Object.fromEntries(
        fit.fits.map((f, i) => [f.layer, { value: f.L0, reference: typicalLHat(fit.layers[i], f) }]),
      )
    ),
  };
}

/** A scalar: a per-run value, one per seed. */
function scalarOver(value: (fit: RunFit) => number) {
  return (fits: SmoothnessFit[]): Measured["measurement"] => ({
    kind: "scalar",
    values: fits.map((f) => value(f.fit)),
  });
}

/** Named values of the same runs, one per seed each, so paired. */
function namedOver(values: Record<string, (fit: RunFit) => number>) {
  return (fits: SmoothnessFit[]): Measured["measurement"] => ({
    kind: "named",
    paired: true,
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fits.map((f) => v(f.fit))])),
  });
}

const nanoUscion = (s: ScaleSettings): SmoothnessSelector => ({
  workload: s.gptModded,
  variant: "uscion",
  geometry: "scion",
});
const nanoAdamw = (s: ScaleSettings): SmoothnessSelector => ({
  workload: s.gptModded,
  variant: "adamw",
  geometry: "scion",
});
const nanoEuclidean = (s: ScaleSettings): SmoothnessSelector => ({
  workload: s.gptModded,
  variant: "uscion",
  geometry: "euclidean",
});
const cnnUscion = (s: ScaleSettings): SmoothnessSelector => ({
  workload: s.cnn,
  variant: "uscion",
  geometry: "scion",
});

const hiddenL1 = (fit: RunFit) => medianOver(fit, HIDDEN, (f) => f.L1);
const embeddingL1 = (fit: RunFit) => medianOver(fit, EMBEDDING, (f) => f.L1);
const medianMseRel = (fit: RunFit) => median(fit.fits.map((f) => f.mse_rel));
const extremeL1 = (pick: (values: number[]) => number) => (fit: RunFit) =>
  pick(layersWithRole(fit, HIDDEN).map(({ fit }) => fit.L1));

/** Where a sweep is judged: each run's final validation loss, or the one at half its steps. */
export type Horizon = "final" | "half";

/**
 * A run's validation loss at a horizon (null: diverged by then) and the step it was taken at. "half" is
 * the last evaluation at or before floor(steps / 2); a run that diverged at or before that step counts
 * as diverged. Undefined when the run has no evaluation there.
 */
export function lossAtHorizon(
  run: RunRecord,
  horizon: Horizon,
): { loss: number | null; step: number } | undefined {
  if (horizon === "final") {
    if (run.finalValLoss === null && !run.diverged) return undefined;
    return { loss: run.diverged ? null : run.finalValLoss, step: run.config.steps };
  }
  const half = Math.floor(run.config.steps / 2);
  const divergedAt = run.manifest.diverged_step;
  if (divergedAt !== null && divergedAt <= half) return { loss: null, step: half };
  const i = run.val.step.findLastIndex((s) => s <= half);
  if (i < 0) return undefined;
  const loss = run.val.loss[i];
  return { loss: Number.isFinite(loss) ? loss : null, step: run.val.step[i] };
}

/** The lr-sweep points of a workload at a horizon (default: final), per optimizer. */
export function sweepPoints(
  runs: readonly RunRecord[],
  workload: string,
  horizon: Horizon = "final",
): Map<string, SweepPoint[]> {
  const points = new Map<string, SweepPoint[]>();
  for (const run of runs) {
    if (run.config.suite !== "lr-sweep" || run.config.workload !== workload) continue;
    const at = lossAtHorizon(run, horizon);
    if (!at) continue;
    const list = points.get(run.config.optimizer) ?? [];
    list.push({ lr: run.lr, loss: at.loss, seed: run.config.seed });
    points.set(run.config.optimizer, list);
  }
  return points;
}

/** The final validation losses at the best LR (see `analyzeBasin`), one per converged seed. */
export function bestLrLoss(points: readonly SweepPoint[]): number[] {
  const basin = analyzeBasin(points);
  if (!basin) return [];
  return points.filter((p) => p.lr === basin.bestLr && !isDiverged(p)).map((p) => p.loss!);
}

/**
 * Why the sweeps of `names` cannot decide a claim: the best runs (median over seeds at the best LR) that end
 * above the initial plateau of the corpus that `run`, one of the sweep runs, read ({@link TEXT_PLATEAU});
 * undefined when all left it, or when the runs read another corpus (no plateau known).
 */
function plateauCaveat(
  run: RunRecord,
  sweeps: Record<string, SweepPoint[]>,
  names: readonly string[],
): string | undefined {
  const data = (run.manifest.resolved as { data?: { corpus?: { name?: string }; tokenizer?: string } })?.data;
  if (data?.corpus?.name !== TEXT_PLATEAU.corpus || data.tokenizer !== TEXT_PLATEAU.tokenizer) return undefined;
  const stuck = names.flatMap((n) => {
    const best = sweeps[n] ? bestLrLoss(sweeps[n]) : [];
    const m = best.length ? median(best) : NaN;
    return m > TEXT_PLATEAU.loss ? [`${n} ${m.toFixed(3)}`] : [];
  });
  if (!stuck.length) return undefined;
  return `the best run of ${stuck.join(", ")} (median final loss over seeds) has not left the initial plateau ` +
    `(${TEXT_PLATEAU.loss} nats, ${TEXT_PLATEAU.what}): the horizon is too short to rank them`;
}

/** A claim on the language-model LR sweep among the optimizers `names` (the claims' names). */
function onSweeps(
  names: readonly string[],
  make: (sweeps: Record<string, SweepPoint[]>) => Measured["measurement"],
): ClaimMeasure {
  return {
    suite: "lr-sweep",
    measure(input) {
      const horizon = input.horizon ?? "final";
      const all = sweepPoints(input.runs, input.settings.gpt, horizon);
      const sweeps: Record<string, SweepPoint[]> = {};
      for (const [name, optimizer] of Object.entries(SWEEP_NAMES)) {
        const points = all.get(optimizer);
        if (points) sweeps[name] = points;
      }
      if (!Object.keys(sweeps).length) return undefined;
      const run = input.runs.find((r) =>
        r.config.suite === "lr-sweep" && r.config.workload === input.settings.gpt
      )!;
      const steps = run.config.steps;
      const at = horizon === "half" ? ` (judged at step ${Math.floor(steps / 2)}, half the horizon)` : "";
      const undecidable = plateauCaveat(run, sweeps, names);
      return {
        scale: input.scale,
        setting: `${input.settings.gpt} LR sweep, ${steps} steps${at}`,
        measurement: make(sweeps),
        ...(undecidable ? { undecidable } : {}),
      };
    },
  };
}

const bestLossOf = (names: string[]) =>
  onSweeps(names, (sweeps) => ({
    kind: "named",
    values: Object.fromEntries(names.filter((n) => sweeps[n]).map((n) => [n, bestLrLoss(sweeps[n])])),
  }));
const bestLossScalar = (name: string) =>
  onSweeps([name], (sweeps) => ({ kind: "scalar", values: sweeps[name] ? bestLrLoss(sweeps[name]) : [] }));
const sweepsOf = (sweeps: Record<string, SweepPoint[]>): Measured["measurement"] => ({
  kind: "sweeps",
  sweeps,
});

/** Milliseconds per training step of a run: the differences of its cumulative wall_s, first step excluded. */
export function stepMs(run: RunRecord): number[] {
  const w = run.steps.wallS;
  return w.slice(1).map((t, i) => (t - w[i]) * 1000);
}

/** A run's median step time in ms (NaN when it has fewer than two steps). */
export function medianStepMs(run: RunRecord): number {
  return summarizeTimes(stepMs(run)).medianMs;
}

/**
 * Step times of the step-time suite per variant, keyed by what pairs them: the round of an interleaved
 * timing job (its `timings` table; samples of one round are taken side by side), or else the seed of a
 * timed training run (its median step time).
 */
function stepTimes(input: MeasureInput): Record<string, Map<string, number>> {
  const byVariant: Record<string, Map<string, number>> = {};
  for (const run of input.runs) {
    if (run.config.suite !== "step-time" || run.config.workload !== input.settings.gpt) continue;
    if (run.timings) {
      for (const t of run.timings) {
        (byVariant[t.variant] ??= new Map()).set(`${run.dir} round ${pad(t.round)}`, t.msPerStep);
      }
    } else (byVariant[runLabel(run)] ??= new Map()).set(`seed ${pad(run.config.seed)}`, medianStepMs(run));
  }
  return byVariant;
}

/** A round or seed number as a key that sorts in numeric order. */
const pad = (k: number) => String(k).padStart(10, "0");

/** The step times of `names` at the keys (rounds or seeds) every one of them has, in key order: paired. */
function pairedTimes(times: Record<string, Map<string, number>>, names: readonly string[]): number[][] {
  const keys = [...(times[names[0]]?.keys() ?? [])].filter((k) => names.every((n) => times[n]?.has(k)))
    .sort();
  return names.map((n) => keys.map((k) => times[n].get(k)!));
}

/** A claim on the step-time runs. */
function onStepTimes(
  make: (times: Record<string, Map<string, number>>) => Measured["measurement"],
): ClaimMeasure {
  return {
    suite: "step-time",
    measure(input) {
      const times = stepTimes(input);
      if (!Object.keys(times).length) return undefined;
      const run = input.runs.find((r) => r.config.suite === "step-time")!;
      const rounds = run.timings ? new Set(run.timings.map((t) => t.round)).size : 0;
      return {
        scale: input.scale,
        setting: run.timings
          ? `${input.settings.gpt}, interleaved timing, ${rounds} paired rounds`
          : `${input.settings.gpt}, ${run.config.steps} timed steps`,
        measurement: make(times),
      };
    },
  };
}

/** t(variant) / t(muonadam) - 1 per seed, from runs of the same seed. */
const overhead =
  (variant: string) => (times: Record<string, Map<string, number>>): Measured["measurement"] => {
    const [v, base] = pairedTimes(times, [variant, "muonadam"]);
    return { kind: "scalar", values: v.map((t, i) => t / base[i] - 1) };
  };

/** How each claim of the two fixtures is measured. */
const CLAIM_MEASURES: Readonly<Record<string, ClaimMeasure>> = {
  "gluon.nanogpt.L0_near_zero": onFits(nanoUscion, l0NearZero),
  "gluon.nanogpt.hidden_L1": onFits(nanoUscion, scalarOver(hiddenL1)),
  "gluon.nanogpt.embedding_L1": onFits(nanoUscion, scalarOver(embeddingL1)),
  "gluon.nanogpt.hidden_embedding_L1_ratio": onFits(
    nanoUscion,
    namedOver({ hidden_L1: hiddenL1, embedding_L1: embeddingL1 }),
  ),
  "gluon.nanogpt.hidden_above_embedding_L1": onFits(
    nanoUscion,
    namedOver({ hidden_L1: hiddenL1, embedding_L1: embeddingL1 }),
  ),
  "gluon.nanogpt.hidden_L1_spread": onFits(
    nanoUscion,
    namedOver({
      hidden_L1_max: extremeL1((v) => Math.max(...v)),
      hidden_L1_min: extremeL1((v) => Math.min(...v)),
    }),
  ),
  "gluon.nanogpt.radius_hidden": onFits(
    nanoUscion,
    namedOver({
      predicted_radius: (fit) => medianOver(fit, HIDDEN, (f) => f.predicted_step),
      tuned_radius: (fit) => medianOver(fit, HIDDEN, (f) => f.used_step),
    }),
  ),
  "gluon.nanogpt.radius_embedding": onFits(
    nanoUscion,
    namedOver({
      predicted_radius: (fit) => medianOver(fit, EMBEDDING, (f) => f.predicted_step),
      tuned_radius: (fit) => medianOver(fit, EMBEDDING, (f) => f.used_step),
    }),
  ),
  "gluon.nanogpt.adamw_fit_worse": namedOverFits({ unscion: nanoUscion, adamw: nanoAdamw }, medianMseRel),
  "gluon.nanogpt.euclidean_fit_worse": namedOverFits(
    { scion_norms: nanoUscion, euclidean_norms: nanoEuclidean },
    medianMseRel,
  ),
  "gluon.cnn.L0_near_zero": onFits(cnnUscion, l0NearZero),
  "gluon.cnn.body_L1": onFits(cnnUscion, scalarOver((fit) => medianOver(fit, CNN_BODY, (f) => f.L1))),
  "gluon.cnn.head_L1": onFits(cnnUscion, scalarOver((fit) => medianOver(fit, HEAD, (f) => f.L1))),
  "gluon.cnn.body_head_L1_ratio": onFits(
    cnnUscion,
    namedOver({
      body_L1: (fit) => medianOver(fit, CNN_BODY, (f) => f.L1),
      head_L1: (fit) => medianOver(fit, HEAD, (f) => f.L1),
    }),
  ),
  "crawshaw.table4.ordering": bestLossOf(["muonadam-momo", "muonadam", "muonmax-momo"]),
  "crawshaw.table4.muonadam_momo": bestLossScalar("muonadam-momo"),
  "crawshaw.table4.muonadam": bestLossScalar("muonadam"),
  "crawshaw.table4.muonmax_momo": bestLossScalar("muonmax-momo"),
  "crawshaw.fig1.muonadam_momo_wider_than_muonadam": onSweeps(["muonadam-momo", "muonadam"], sweepsOf),
  "crawshaw.fig1.muonmax_momo_wider_than_muonadam": onSweeps(["muonmax-momo", "muonadam"], sweepsOf),
  "crawshaw.momo.muonmax_momo_wider_than_muonmax": onSweeps(["muonmax-momo", "muonmax"], sweepsOf),
  "crawshaw.muonmax_wider_than_muonadam": onSweeps(["muonmax", "muonadam"], sweepsOf),
  "crawshaw.fig5.muonadam_beats_muonmax": bestLossOf(["muonadam", "muonmax"]),
  "crawshaw.timing.stale_nuclear_overhead": onStepTimes(overhead("muonmax-momo-stale")),
  "crawshaw.timing.exact_nuclear_overhead": onStepTimes(overhead("muonmax-momo-exact")),
  "crawshaw.timing.stale_cheaper_than_exact": onStepTimes((times) => {
    const names = ["muonmax-momo-stale", "muonmax-momo-exact"];
    const paired = pairedTimes(times, names);
    return {
      kind: "named",
      paired: true,
      log: true,
      values: Object.fromEntries(names.map((n, i) => [n, paired[i]])),
    };
  }),
};

/** The measurements of the claims with data, and for every claim without, why (the suite that feeds it). */
export interface ClaimMeasurements {
  measurements: Record<string, Measured>;
  missing: Record<string, string>;
}

/** The suite whose runs feed a claim (undefined: lmo-bench does not measure it). */
export function claimSuite(id: string): string | undefined {
  return CLAIM_MEASURES[id]?.suite;
}

/** Measures every claim in `claimIds` that the runs can feed. */
export function measureClaims(claimIds: readonly string[], input: MeasureInput): ClaimMeasurements {
  const measurements: Record<string, Measured> = {};
  const missing: Record<string, string> = {};
  for (const id of claimIds) {
    const how = CLAIM_MEASURES[id];
    if (!how) {
      missing[id] = "lmo-bench has no measurement for this claim";
      continue;
    }
    const measured = how.measure(input);
    if (measured) measurements[id] = measured;
    else if (input.horizon === "half" && input.runs.some((r) => r.config.suite === how.suite)) {
      missing[id] = `the ${how.suite} runs have no validation evaluation at or before half their steps ` +
        `(their evalEvery must be at most steps / 2)`;
    } else {
      missing[id] =
        `no runs of the ${how.suite} suite at ${input.scale} scale (deno task reproduce --suite ${how.suite})`;
    }
  }
  return { measurements, missing };
}
