/**
 * Our measurement for each paper claim, derived from run directories only (DESIGN.md decision 7): the
 * per-layer (L0, L1) fits of the gluon-smoothness runs, the LR sweeps of the lr-sweep runs (best LR and
 * basin via `basinWidth`), and the step times of the step-time runs. Every value is a mean over seeds of a
 * per-run quantity; nothing is copied from the papers. A claim whose suite did not run gets no measurement,
 * and the verdict says which suite would feed it.
 *
 * Layer groups: "hidden" is role hidden (the transformer matrices); "embedding" is role tied_embedding or
 * embedding; the CNN's "body" is every conv kernel, bias and gain, its "head" role head. A layer's used
 * radius is the median of its `radius` column (src/smoothness/run_fit.ts), its predicted radius the
 * `predictedStep` of its fit.
 */
import type { Scale, ScaleSettings } from "../suite/scales.ts";
import { median } from "../smoothness/predict.ts";
import type { LayerFit, LayerSeries, RunFit } from "../smoothness/run_fit.ts";
import { summarizeTimes } from "../stats/times.ts";
import { basinWidth, type Measured, type Stat, type SweepPoint } from "./claims.ts";
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

/** The mean, sample standard deviation (n > 1) and count of per-seed values. */
export function statOf(values: readonly number[]): Stat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}

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
      const values: Record<string, Stat> = {};
      const settings: string[] = [];
      for (const [name, select] of Object.entries(selects)) {
        const fits = selectFits(input, select(input.settings));
        if (!fits.length) continue;
        values[name] = statOf(fits.map((f) => value(f.fit)));
        settings.push(describeFits(fits));
      }
      if (!settings.length) return undefined;
      return { scale: input.scale, setting: settings.join("; "), measurement: { kind: "named", values } };
    },
  };
}

/** Per-layer L0 against the layer's typical L-hat, over every layer and seed. */
function l0NearZero(fits: SmoothnessFit[]): Measured["measurement"] {
  const values: Record<string, { value: number; reference: number }> = {};
  for (const { run, fit } of fits) {
    fit.fits.forEach((f, i) => {
      const key = fits.length > 1 ? `${f.layer} (seed ${run.config.seed})` : f.layer;
      values[key] = { value: f.L0, reference: typicalLHat(fit.layers[i], f) };
    });
  }
  return { kind: "relative", values };
}

/** A scalar: the mean over seeds of a per-run value. */
function scalarOver(value: (fit: RunFit) => number) {
  return (fits: SmoothnessFit[]): Measured["measurement"] => ({
    kind: "scalar",
    value: statOf(fits.map((f) => value(f.fit))),
  });
}

/** Named values: the mean over seeds of per-run values. */
function namedOver(values: Record<string, (fit: RunFit) => number>) {
  return (fits: SmoothnessFit[]): Measured["measurement"] => ({
    kind: "named",
    values: Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, statOf(fits.map((f) => v(f.fit)))]),
    ),
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

/** The lr-sweep points of the scale's language model, per optimizer. */
export function sweepPoints(runs: readonly RunRecord[], workload: string): Map<string, SweepPoint[]> {
  const points = new Map<string, SweepPoint[]>();
  for (const run of runs) {
    if (run.config.suite !== "lr-sweep" || run.config.workload !== workload) continue;
    if (run.finalValLoss === null && !run.diverged) continue;
    const list = points.get(run.config.optimizer) ?? [];
    list.push({ lr: run.lr, loss: run.diverged ? NaN : run.finalValLoss!, diverged: run.diverged });
    points.set(run.config.optimizer, list);
  }
  return points;
}

/** The final validation loss at the best LR (lowest mean over seeds): mean and spread over those seeds. */
export function bestLrLoss(points: readonly SweepPoint[]): Stat {
  const basin = basinWidth([...points]);
  if (!basin) return { mean: NaN };
  return statOf(points.filter((p) => p.lr === basin.bestLr && !p.diverged).map((p) => p.loss));
}

/** A claim on the language-model LR sweep, with the claims' optimizer names. */
function onSweeps(make: (sweeps: Record<string, SweepPoint[]>) => Measured["measurement"]): ClaimMeasure {
  return {
    suite: "lr-sweep",
    measure(input) {
      const all = sweepPoints(input.runs, input.settings.gpt);
      const sweeps: Record<string, SweepPoint[]> = {};
      for (const [name, optimizer] of Object.entries(SWEEP_NAMES)) {
        const points = all.get(optimizer);
        if (points) sweeps[name] = points;
      }
      if (!Object.keys(sweeps).length) return undefined;
      const steps =
        input.runs.find((r) => r.config.suite === "lr-sweep" && r.config.workload === input.settings.gpt)!
          .config.steps;
      return {
        scale: input.scale,
        setting: `${input.settings.gpt} LR sweep, ${steps} steps`,
        measurement: make(sweeps),
      };
    },
  };
}

const bestLossOf = (names: string[]) => (sweeps: Record<string, SweepPoint[]>): Measured["measurement"] => ({
  kind: "named",
  values: Object.fromEntries(names.filter((n) => sweeps[n]).map((n) => [n, bestLrLoss(sweeps[n])])),
});
const bestLossScalar = (name: string) => (sweeps: Record<string, SweepPoint[]>): Measured["measurement"] => ({
  kind: "scalar",
  value: sweeps[name] ? bestLrLoss(sweeps[name]) : { mean: NaN },
});
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

/** Median step times of the step-time runs, per variant. */
function stepTimes(input: MeasureInput): Record<string, Stat> {
  const byVariant: Record<string, number[]> = {};
  for (const run of input.runs) {
    if (run.config.suite !== "step-time" || run.config.workload !== input.settings.gpt) continue;
    (byVariant[runLabel(run)] ??= []).push(medianStepMs(run));
  }
  return Object.fromEntries(Object.entries(byVariant).map(([k, v]) => [k, statOf(v)]));
}

/** A claim on the step-time runs. */
function onStepTimes(make: (times: Record<string, Stat>) => Measured["measurement"]): ClaimMeasure {
  return {
    suite: "step-time",
    measure(input) {
      const times = stepTimes(input);
      if (!Object.keys(times).length) return undefined;
      const steps = input.runs.find((r) => r.config.suite === "step-time")!.config.steps;
      return {
        scale: input.scale,
        setting: `${input.settings.gpt}, ${steps} timed steps`,
        measurement: make(times),
      };
    },
  };
}

/** t(variant) / t(muonadam) - 1, from the mean step times over seeds. */
const overhead = (variant: string) => (times: Record<string, Stat>): Measured["measurement"] => ({
  kind: "scalar",
  value: {
    mean: times[variant] && times.muonadam ? times[variant].mean / times.muonadam.mean - 1 : NaN,
    n: Math.min(times[variant]?.n ?? 0, times.muonadam?.n ?? 0),
  },
});

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
  "crawshaw.table4.ordering": onSweeps(bestLossOf(["muonadam-momo", "muonadam", "muonmax-momo"])),
  "crawshaw.table4.muonadam_momo": onSweeps(bestLossScalar("muonadam-momo")),
  "crawshaw.table4.muonadam": onSweeps(bestLossScalar("muonadam")),
  "crawshaw.table4.muonmax_momo": onSweeps(bestLossScalar("muonmax-momo")),
  "crawshaw.fig1.muonadam_momo_wider_than_muonadam": onSweeps(sweepsOf),
  "crawshaw.fig1.muonmax_momo_wider_than_muonadam": onSweeps(sweepsOf),
  "crawshaw.momo.muonmax_momo_wider_than_muonmax": onSweeps(sweepsOf),
  "crawshaw.muonmax_wider_than_muonadam": onSweeps(sweepsOf),
  "crawshaw.fig5.muonadam_beats_muonmax": onSweeps(bestLossOf(["muonadam", "muonmax"])),
  "crawshaw.timing.stale_nuclear_overhead": onStepTimes(overhead("muonmax-momo-stale")),
  "crawshaw.timing.exact_nuclear_overhead": onStepTimes(overhead("muonmax-momo-exact")),
  "crawshaw.timing.stale_cheaper_than_exact": onStepTimes((times) => ({
    kind: "named",
    values: Object.fromEntries(
      ["muonmax-momo-stale", "muonmax-momo-exact"].filter((k) => times[k]).map((k) => [k, times[k]]),
    ),
  })),
};

/** The measurements of the claims with data, and for every claim without, why (the suite that feeds it). */
export interface ClaimMeasurements {
  measurements: Record<string, Measured>;
  missing: Record<string, string>;
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
    else {missing[id] =
        `no runs of the ${how.suite} suite at ${input.scale} scale (deno task reproduce --suite ${how.suite})`;}
  }
  return { measurements, missing };
}
