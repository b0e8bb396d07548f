/**
 * Run directories -> one reproduction report (DESIGN.md: reports read only run directories). Finds the
 * runs under any folders (any depth), merges runs from several shards or machines by config hash, fits
 * the smoothness runs, measures every paper claim (./measure.ts), judges it (./claims.ts) and lays out the
 * sections (./sections.ts). `deno task reproduce` and `deno task report` both build their report here.
 */
import { type Scale, SCALE_SETTINGS, SCALES } from "../suite/scales.ts";
import { fitRun } from "../smoothness/run_fit.ts";
import { readColumns, readTable } from "../trace/arrow_read.ts";
import { pathExists } from "../trace/fs_util.ts";
import {
  assertConfigIntact,
  effectiveStatus,
  type Manifest,
  manifestPath,
  readManifest,
} from "../trace/run_dir.ts";
import { readTimings, type TimingSample } from "../trace/timings.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import { loadPaperClaims, type PaperClaim } from "./claims.ts";
import { evaluateClaims, type Verdict, withHalfHorizon } from "./verdicts.ts";
import type { Report } from "./html.ts";
import { claimSuite, type Horizon, measureClaims, type SmoothnessFit } from "./measure.ts";
import { describeBackend, reportSections } from "./sections.ts";

/** The papers whose claims a reproduction report judges (fixtures/papers/<id>.json). */
export const REPORT_PAPERS = ["2505.13416", "2510.09827"] as const;

/** One finished run as a report reads it. */
export interface RunRecord {
  dir: string;
  manifest: Manifest;
  config: JobConfig;
  /** The steps table. */
  steps: { step: number[]; wallS: number[]; trainLoss: number[]; itemsPerS: (number | null)[] };
  /** Validation evaluations in step order. */
  val: { step: number[]; loss: number[] };
  /** The last validation loss, or null when the run logged none. */
  finalValLoss: number | null;
  /** Status "diverged", or a final validation loss that is not finite. */
  diverged: boolean;
  /** The learning rate the optimizer resolved to. */
  lr: number;
  /** The samples of an interleaved timing job (its `timings` table, src/trace/timings.ts); null for a training run. */
  timings: TimingSample[] | null;
}

/** Files only a run directory holds: its tables and its checkpoint. */
const RUN_FILE = /\.arrows?$|^checkpoint\.bin$/;

/** A run directory still under its temporary name (see createRunDir): its writer died while creating it. */
const HALF_MADE = /\.partial-[0-9a-f]{8}$/;

/**
 * The run directories at or under `paths` (each a run directory or any folder holding run directories
 * at any depth), sorted. A folder holding run files (tables, a checkpoint) but no manifest is listed too,
 * so that {@link loadRuns} reports it rather than passing it over. A path that does not exist is an error.
 */
export async function findRunDirs(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    if (pathExists(manifestPath(dir))) {
      found.add(dir);
      return;
    }
    const subdirs: string[] = [];
    let runFiles = false;
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory && !entry.name.startsWith(".")) subdirs.push(`${dir}/${entry.name}`);
      else if (entry.isFile && RUN_FILE.test(entry.name)) runFiles = true;
    }
    if (runFiles) found.add(dir);
    else for (const sub of subdirs) await walk(sub);
  };
  for (const path of paths) {
    const clean = path.replace(/\/+$/, "") || "/";
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(clean);
    } catch {
      throw new Error(`${path} does not exist; pass run directories or folders that hold them`);
    }
    if (!info.isDirectory) {
      throw new Error(`${path} is not a directory; pass run directories or folders that hold them`);
    }
    await walk(clean);
  }
  return [...found].sort();
}

/**
 * Reads a run directory's manifest, steps and validation evaluations (and checks that the layers table of
 * a smoothness run, which the fit reads later, is readable).
 */
export async function loadRun(dir: string): Promise<RunRecord> {
  const manifest = await readManifest(dir);
  const config = manifest.config as unknown as JobConfig;
  const steps = await readColumns(dir, "steps");
  const evals = await readColumns(dir, "evals");
  if (config.smoothnessEvery > 0) await readTable(dir, "layers");
  const valRows = (evals.step ?? []).map((step, i) => ({
    step: Number(step),
    split: evals.split[i],
    loss: Number(evals.loss[i]),
  }))
    .filter((e) => e.split === "val");
  const finalValLoss = valRows.length ? valRows[valRows.length - 1].loss : null;
  const resolved = manifest.resolved as { optimizer?: { lr?: unknown } } | null;
  return {
    dir,
    manifest,
    config,
    steps: {
      step: (steps.step ?? []).map(Number),
      wallS: (steps.wall_s ?? []).map(Number),
      trainLoss: (steps.train_loss ?? []).map(Number),
      itemsPerS: (steps.items_per_s ?? []).map((x) => (x === null ? null : Number(x))),
    },
    val: { step: valRows.map((e) => e.step), loss: valRows.map((e) => e.loss) },
    finalValLoss,
    diverged: manifest.status === "diverged" || (finalValLoss !== null && !Number.isFinite(finalValLoss)),
    lr: Number(resolved?.optimizer?.lr ?? config.opt?.lr),
    timings: await readTimings(dir),
  };
}

/** The runs a report uses, the run directories it left out, and the merged duplicates. */
export interface LoadedRuns {
  runs: RunRecord[];
  /** Unfinished, failed and damaged runs (no manifest, an unreadable table...), with the reason. */
  skipped: { dir: string; reason: string }[];
  /** Run directories of a config already loaded from `sameAs` (shards that ran a shared dependency). */
  duplicates: { dir: string; sameAs: string }[];
}

const FINISHED = new Set(["done", "diverged"]);

/**
 * Loads the finished (done or diverged) runs at or under `paths`, one per config hash: when shards or
 * machines ran the same config, the first readable directory in path order is kept (a deterministic run
 * gives the same data in each) and the others are listed as duplicates. Unfinished, failed and damaged
 * runs are skipped, with the reason; one damaged directory never stops the others from loading.
 */
export async function loadRuns(paths: readonly string[]): Promise<LoadedRuns> {
  const byHash = new Map<string, RunRecord>();
  const skipped: LoadedRuns["skipped"] = [];
  const duplicates: LoadedRuns["duplicates"] = [];
  for (const dir of await findRunDirs(paths)) {
    try {
      if (HALF_MADE.test(dir)) {
        throw new Error("its writer died while creating it (a temporary name); delete it");
      }
      const manifest = await readManifest(dir);
      await assertConfigIntact(dir, manifest);
      const status = effectiveStatus(dir, manifest);
      if (!FINISHED.has(status)) {
        const killed = status !== manifest.status
          ? " (its manifest says running, but no process runs it)"
          : "";
        skipped.push({ dir, reason: `status ${status}${killed}` });
        continue;
      }
      const earlier = byHash.get(manifest.config_hash);
      if (earlier) {
        duplicates.push({ dir, sameAs: earlier.dir });
        continue;
      }
      byHash.set(manifest.config_hash, await loadRun(dir));
    } catch (error) {
      skipped.push({ dir, reason: `damaged: ${(error as Error).message}` });
    }
  }
  return { runs: [...byHash.values()].sort(compareRuns), skipped, duplicates };
}

/** Report order: suite, workload, optimizer, variant, lr, seed, then config hash (independent of paths). */
function compareRuns(a: RunRecord, b: RunRecord): number {
  const key = (
    r: RunRecord,
  ) => [r.config.suite, r.config.workload, r.config.optimizer, String(r.config.tags.variant ?? "")];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return a.lr - b.lr || a.config.seed - b.config.seed ||
    (a.manifest.config_hash < b.manifest.config_hash
      ? -1
      : a.manifest.config_hash > b.manifest.config_hash
      ? 1
      : 0);
}

/** The scale whose suite workloads the runs use; throws when none or several match (pass --scale then). */
export function inferScale(runs: readonly RunRecord[]): Scale {
  const workloads = new Set(runs.map((r) => r.config.workload));
  const matching = SCALES.filter((scale) => {
    const s = SCALE_SETTINGS[scale];
    return [s.gpt, s.gptModded, s.cnn].some((w) => workloads.has(w));
  });
  if (matching.length === 1) return matching[0];
  throw new Error(
    matching.length === 0
      ? `cannot tell the scale from the runs' workloads (${
        [...workloads].join(", ") || "no runs"
      }); pass --scale tiny|small|paper`
      : `the runs mix workloads of the ${
        matching.join(" and ")
      } scales; pass --scale to choose the one the claims use`,
  );
}

/** What a report says about how it was made. */
export interface AssembleOptions {
  scale: Scale;
  title: string;
  /** The command line that made the report. */
  command: string;
  /** The settings shown under "Config". */
  config: unknown;
  /** Where index.html will be written (raw-data links are relative to it). */
  outDir: string;
  /** Run directories left out of the report, listed in its text. */
  skipped?: LoadedRuns["skipped"];
}

/** Fits (L0, L1) for every run that measured smoothness. */
export async function fitSmoothnessRuns(runs: readonly RunRecord[]): Promise<SmoothnessFit[]> {
  const fits: SmoothnessFit[] = [];
  for (const run of runs) {
    if (run.config.smoothnessEvery > 0) fits.push({ run, fit: await fitRun(run.dir) });
  }
  return fits;
}

/**
 * The verdicts on every claim of {@link REPORT_PAPERS}, measured from the runs at a scale; the claims on
 * the LR sweeps are judged again at half the horizon (a second Holm family) and carry that verdict too.
 */
export async function judgeClaims(
  runs: readonly RunRecord[],
  fits: readonly SmoothnessFit[],
  scale: Scale,
): Promise<Verdict[]> {
  const claims = (await Promise.all(REPORT_PAPERS.map(loadPaperClaims))).flatMap((f) => f.claims);
  const judgeAt = (subset: PaperClaim[], horizon: Horizon): Verdict[] => {
    const { measurements, missing } = measureClaims(subset.map((c) => c.id), {
      scale,
      settings: SCALE_SETTINGS[scale],
      runs,
      fits,
      horizon,
    });
    return evaluateClaims(subset, measurements).map((
      v,
    ) => (v.id in missing ? { ...v, reason: missing[v.id] } : v));
  };
  const sweepClaims = claims.filter((c) => claimSuite(c.id) === "lr-sweep");
  return withHalfHorizon(judgeAt(claims, "final"), judgeAt(sweepClaims, "half"));
}

/** Builds the report of a set of runs (see the module comment). */
export async function assembleReport(runs: readonly RunRecord[], options: AssembleOptions): Promise<Report> {
  const fits = await fitSmoothnessRuns(runs);
  const verdicts = await judgeClaims(runs, fits, options.scale);
  const sections = reportSections(runs, fits, options.outDir);
  if (options.skipped?.length) {
    sections.push({
      heading: "Runs left out",
      text: options.skipped.map((s) => `${s.dir}: ${s.reason}`).join("\n\n"),
    });
  }
  return {
    title: options.title,
    command: options.command,
    config: options.config,
    environment: environment(runs, options.scale),
    gitRevision: unique(
      runs.map((r) =>
        r.manifest.git ? `${r.manifest.git.commit}${r.manifest.git.dirty ? " (modified)" : ""}` : "unknown"
      ),
    )
      .join(", ") || "unknown",
    verdicts,
    sections,
  };
}

/** Distinct values in first-seen order. */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The header's environment rows: scale, run counts, backends and versions from the manifests. */
function environment(runs: readonly RunRecord[], scale: Scale): Report["environment"] {
  const diverged = runs.filter((r) => r.diverged).length;
  const trainS = runs.reduce((s, r) => s + (r.manifest.wall_s ?? 0), 0);
  return {
    scale,
    runs: `${runs.length} (${runs.length - diverged} done, ${diverged} diverged)`,
    backend: unique(runs.map(describeBackend)).join("; "),
    deno: unique(runs.map((r) => r.manifest.runtime.deno)).join(", "),
    v8: unique(runs.map((r) => r.manifest.runtime.v8)).join(", "),
    typescript: unique(runs.map((r) => r.manifest.runtime.typescript)).join(", "),
    "lmo-bench": unique(runs.map((r) => r.manifest.lmobench_version)).join(", "),
    "training time": `${(trainS / 60).toFixed(1)} min (sum over runs)`,
    generated: new Date().toISOString(),
  };
}

/** The verdicts as a plain-text table: claim id, verdict, ours, paper. */
export function verdictTableText(verdicts: readonly Verdict[]): string {
  const rows = [
    ["claim", "verdict", "ours", "paper"],
    ...verdicts.map((v) => [v.id, v.verdict, clip(v.ours, 70), clip(v.paper, 40)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}

/** Text cut to `max` characters with an ellipsis. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
