/** `deno task run`: trains one workload with one optimizer and writes one run directory. */
import { parseArgs } from "node:util";
import { workloadNames } from "../models/presets.ts";
import { presetNames } from "../optim/mod.ts";
import { BACKENDS } from "../runtime/mod.ts";
import { DATA_FORMS } from "../train/data_source.ts";
import type { JobConfig } from "../contracts/job_config.ts";
import { JOB_DEFAULTS, planJob, runJob } from "../train/job.ts";
import { formatBytes, formatPlan } from "../train/memory_plan.ts";
import { extractOverrides, intOption, runMain } from "./args.ts";
import { formatRate, ProgressBar } from "./progress.ts";
import { stopOnSignals } from "./stop.ts";

const HELP = `deno task run --workload NAME --optimizer NAME [options]

Trains one run and writes one run directory: manifest.json, steps/layers/evals Arrow tables and a checkpoint.

  --workload NAME        ${workloadNames().join(", ")}
  --optimizer NAME       ${presetNames().join(", ")}, or a path to a module exporting makeOptimizer(overrides)
  --steps N              training steps (default ${JOB_DEFAULTS.steps})
  --accum K              gradient accumulation: each step averages the loss and gradients of K micro-batches
                         of --model.batch, then updates once (tokens per step = K x batch x context; default 1)
  --split-step           run each step in parts (gradients, then the update one parameter group at a time)
                         instead of one fused graph: the same math, about a third of the memory of
                         parameters and state; for models whose fused step does not fit (--dry-run says)
  --opt.KEY VALUE        optimizer override, e.g. --opt.lr 3e-3 --opt.fstar 3.2 (repeatable)
  --model.KEY VALUE      workload override, e.g. --model.batch 8 --model.layers 2 (repeatable)
  --backend NAME         ${BACKENDS.join(" | ")} (default ${JOB_DEFAULTS.backend})
  --threads N            intra-op threads (default ${JOB_DEFAULTS.threads}, every backend); results are bitwise reproducible per
                         thread count
  --seed N               master seed: initialisation, and the data order unless --data-seed is given
                         (default ${JOB_DEFAULTS.seed})
  --data-seed N          seed of the training data order alone (default: follows --seed); recorded in the
                         manifest's seeds.data_seed
  --data SPEC            ${DATA_FORMS.join("\n                         ")}
  --tokenizer char|gpt2  text tokenizer (default ${JOB_DEFAULTS.tokenizer})
  --eval-every N         validation every N steps (default ${JOB_DEFAULTS.evalEvery}) on --eval-batches N batches (default ${JOB_DEFAULTS.evalBatches})
  --layers-every N       per-layer diagnostics every N steps (default ${JOB_DEFAULTS.layersEvery})
  --checkpoint-every N   checkpoint every N steps (default ${JOB_DEFAULTS.checkpointEvery})
  --smoothness-every K   measure layer-wise smoothness on steps (k, k+1) for every k with (k+1) % K == 0:
                         L_hat and ||g||* per layer go to the layers table (fit with deno task smoothness DIR)
  --smoothness-norms G   scion (Scion's layer norms, default) | euclidean
  --out DIR              run directory (default reports/runs/<workload>-<optimizer>-<config hash>)
  --resume DIR           continue the run in DIR from its last checkpoint, or from step 0 when it has none
                         (same config; other flags must match); a finished run is left as it is
  --dry-run              print the memory plan (parameters, optimizer state, peak activations, predicted peak RSS)
                         and FLOPs per step for this workload, batch and --accum, then exit without training
  --export-onnx FILE     also write the fused step graph (forward, backward, update) as a .onnx file for Netron,
                         once the run is validated
  -h, --help             this text

SIGINT or SIGTERM (or the end of the launching npm/deno process) stop the run after the current
step: tables flushed, a checkpoint saved, the manifest marked "interrupted"; --resume DIR continues it.
One process writes a run directory at a time (lock file DIR.lock); a second one is refused.`;

async function main(argv: string[]): Promise<number> {
  const { overrides, rest } = extractOverrides(argv, ["opt", "model"]);
  const { values } = parseArgs({
    args: rest,
    options: {
      workload: { type: "string" },
      optimizer: { type: "string" },
      steps: { type: "string" },
      accum: { type: "string" },
      "split-step": { type: "boolean" },
      backend: { type: "string" },
      threads: { type: "string" },
      seed: { type: "string" },
      "data-seed": { type: "string" },
      data: { type: "string" },
      tokenizer: { type: "string" },
      "eval-every": { type: "string" },
      "eval-batches": { type: "string" },
      "layers-every": { type: "string" },
      "checkpoint-every": { type: "string" },
      "smoothness-every": { type: "string" },
      "smoothness-norms": { type: "string" },
      out: { type: "string" },
      resume: { type: "string" },
      "export-onnx": { type: "string" },
      "dry-run": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.workload) throw new Error(`--workload is required; one of: ${workloadNames().join(", ")}`);
  if (!values.optimizer) throw new Error(`--optimizer is required; one of: ${presetNames().join(", ")}`);
  if (values.tokenizer && values.tokenizer !== "char" && values.tokenizer !== "gpt2") {
    throw new Error(`--tokenizer must be char or gpt2, got "${values.tokenizer}"`);
  }
  if (values.out && values.resume) {
    throw new Error("give either --out (a new run) or --resume (an existing one), not both");
  }
  const config: Partial<JobConfig> & Pick<JobConfig, "workload" | "optimizer"> = {
    workload: values.workload,
    optimizer: values.optimizer,
    model: overrides.model,
    opt: overrides.opt,
    ...defined({
      steps: intOption("steps", values.steps),
      accum: intOption("accum", values.accum),
      splitStep: values["split-step"],
      backend: values.backend as JobConfig["backend"] | undefined,
      threads: intOption("threads", values.threads),
      seed: intOption("seed", values.seed),
      dataSeed: intOption("data-seed", values["data-seed"]),
      data: values.data,
      tokenizer: values.tokenizer as JobConfig["tokenizer"] | undefined,
      evalEvery: intOption("eval-every", values["eval-every"]),
      evalBatches: intOption("eval-batches", values["eval-batches"]),
      layersEvery: intOption("layers-every", values["layers-every"]),
      checkpointEvery: intOption("checkpoint-every", values["checkpoint-every"]),
      smoothnessEvery: intOption("smoothness-every", values["smoothness-every"]),
      smoothnessNorms: values["smoothness-norms"] as JobConfig["smoothnessNorms"] | undefined,
    }),
  };
  if (values["dry-run"]) {
    const { plan, kind } = await planJob(config);
    console.log(`${config.workload} / ${config.optimizer}: plan of one run (nothing trained)`);
    console.log(formatPlan(plan, kind === "text" ? "tokens" : "images"));
    const other = (await planJob({ ...config, splitStep: !config.splitStep })).plan;
    console.log(
      (config.splitStep ? "peak RSS as a fused step" : "peak RSS with --split-step").padEnd(30),
      formatBytes(other.peak),
    );
    return 0;
  }
  const bar = new ProgressBar(`${config.workload}/${config.optimizer}`, config.steps ?? JOB_DEFAULTS.steps);
  const stop = stopOnSignals();
  const outcome = await runJob(config, {
    out: values.resume ?? values.out,
    resume: values.resume !== undefined,
    exportOnnx: values["export-onnx"],
    stop: stop.signal,
    onStart: ({ dir, routing, resumedAt, start }) => {
      const how = start === "checkpoint"
        ? ` (resuming at step ${resumedAt})`
        : start === "step 0"
        ? " (no checkpoint yet: resuming from step 0)"
        : "";
      console.log(`run directory: ${dir}${how}`);
      console.log(routing);
    },
    onProgress: (p) => bar.update(p.step, `loss ${p.loss.toFixed(4)} ${formatRate(p.itemsPerS)}/s`),
  });
  bar.finish();
  const val = outcome.valLoss === null ? "" : `, val loss ${outcome.valLoss.toFixed(4)}`;
  if (outcome.start === "finished") {
    console.log(
      `${outcome.dir} already finished (${outcome.status}, ${outcome.steps} steps${val}); nothing to do`,
    );
  } else if (outcome.status === "interrupted") {
    console.log(
      `interrupted at step ${outcome.steps} (${stop.reason()?.reason}); marked "interrupted" in ` +
        `${outcome.dir}/manifest.json. Continue with: deno task run ${
          withoutOut(argv).join(" ")
        } --resume ${outcome.dir}`,
    );
    return stop.reason()?.exitCode ?? 130;
  } else if (outcome.status === "diverged") {
    console.log(
      `diverged at step ${outcome.divergedStep} (loss ${outcome.finalLoss}); marked "diverged" in ${outcome.dir}/manifest.json`,
    );
  } else {
    console.log(
      `done: ${outcome.steps} steps in ${outcome.wallS.toFixed(1)} s, final train loss ${
        outcome.finalLoss.toFixed(4)
      }${val} -> ${outcome.dir}`,
    );
  }
  return 0;
}

/** The arguments without --out and --resume (and their values), for the command that resumes the run. */
function withoutOut(argv: string[]): string[] {
  const flag = (a: string | undefined) => a === "--out" || a === "--resume";
  return argv.filter((a, i) => !flag(a) && !flag(argv[i - 1]) && !/^--(out|resume)=/.test(a));
}

/** Drops undefined fields so defaults apply. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

if (import.meta.main) runMain(main);
