/**
 * A timing job's run directory: the interleaved step-time benchmark (./interleaved.ts) of a suite's
 * variants, written like a training run (manifest, status, Arrow tables) so that reports, shards and
 * reuse treat it as any other job. Its `timings` table holds one row per sample; the steps and evals tables
 * are present and empty (no training happens); the manifest's `resolved.timing` holds the variants and the
 * load averages (1, 5, 15 minutes) at the start, and every sample row its 1-minute load average. The timing parameters are the job's tags
 * (`rounds`, `steps_per_sample`, `warmup_steps`, `variants`), so they are part of its config hash.
 */
import { loadavg } from "node:os";
import { openBackend } from "../runtime/mod.ts";
import { TableWriter } from "../trace/arrow_stream.ts";
import { createRunDir, updateStatus } from "../trace/run_dir.ts";
import { EVALS_TABLE, stepsTable } from "../trace/schema.ts";
import { timingRow, TIMINGS_TABLE } from "../trace/timings.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import type { TimedVariant, TimingTags } from "../suite/types.ts";
import { interleavedStepTimes } from "./interleaved.ts";

/** Runs the interleaved benchmark of `variants` for `config` into the new run directory `out`. */
export async function runTimingJob(
  config: JobConfig,
  variants: readonly TimedVariant[],
  out: string,
): Promise<{ wallS: number }> {
  const tags = config.tags as unknown as TimingTags;
  if (tags.variants !== variants.map((v) => v.variant).join(",")) {
    throw new Error(`timing job: tags.variants "${tags.variants}" does not name the variants it was given`);
  }
  const backend = await openBackend(config.backend, { threads: config.threads });
  await createRunDir(out, {
    name: `${config.workload} / interleaved timing of ${tags.variants}`,
    config,
    seeds: { master: config.seed },
    backend: { ...backend.info() },
    routing: [],
    resolved: { timing: { variants, load_at_start: loadavg() } },
  });
  const t0 = performance.now();
  try {
    const samples = await interleavedStepTimes(backend, config.workload, variants, {
      rounds: tags.rounds,
      stepsPerSample: tags.steps_per_sample,
      warmupSteps: tags.warmup_steps,
      model: config.model,
    });
    const writers = await Promise.all(
      [stepsTable(), EVALS_TABLE, TIMINGS_TABLE].map((t) => TableWriter.open(out, t)),
    );
    for (const s of samples) writers[2].append(timingRow(s));
    for (const w of writers) await w.finalize();
    const wallS = (performance.now() - t0) / 1000;
    await updateStatus(out, { status: "done", wall_s: wallS });
    return { wallS };
  } catch (e) {
    await updateStatus(out, { status: "failed", error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}
