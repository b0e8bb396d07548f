/**
 * Importer for the text logs of the Gluon authors' smoothness experiments
 * (artem-riabinin/Experiments-estimating-smoothness-for-NanoGPT-and-CNN@26769e3, research/papers.md §B.2),
 * and what is known about the runs behind them: which parameter each index is, and the steps they used.
 */

/** One parameter's estimates, in log order. */
export interface ParamSeries {
  /** The parameter index the log prints in parentheses. */
  param: number;
  /** The step of each estimate: an iteration (NanoGPT logs) or a fraction of an epoch (CNN logs). */
  step: number[];
  /** L̂ = ||g^{k+1} - g^k||_* / ||X^{k+1} - X^k||. */
  lHat: number[];
  /** ||g^{k+1}||_*, the dual norm of the gradient at the later point. */
  normGrad: number[];
}

/** Everything an authors' log holds that the smoothness check uses. */
export interface AuthorsLog {
  /** "iteration" for `step:<k>/<total>` logs (NanoGPT), "epoch" for `step:<epoch>` logs (CNN). */
  stepUnit: "iteration" | "epoch";
  /** The `<total>` of `step:<k>/<total>`, or null for epoch-stepped logs. */
  totalSteps: number | null;
  /** One series per parameter index, sorted by index. */
  params: ParamSeries[];
  /** Validation losses of `step:<k>/<total> val_loss:<v>` lines (empty when the log has none). */
  validation: { step: number[]; loss: number[] };
}

/**
 * The stepsize groups of the authors' runs (Scion's parameter groups): "hidden" is the body (hidden
 * matrices, conv kernels, biases), "embed" an input embedding (tied to the head in NanoGPT), "head" an
 * untied output layer.
 */
export const LAYER_GROUPS = ["hidden", "embed", "head"] as const;

/** One of {@link LAYER_GROUPS}. */
export type LayerGroup = typeof LAYER_GROUPS[number];

/** A parameter's layer name and group. */
export interface LayerLabel {
  /** The parameter's module path, e.g. "h.4.attn.c_q". */
  name: string;
  /** Its stepsize group. */
  group: LayerGroup;
}

/**
 * The stepsizes t = lr × radius the authors' runs used per group: NanoGPT unScion with lr 3.6e-4 and
 * radii 50 (hidden) and 3000 (tied embedding = head); CifarNet unScion with lr 0.5 and radii 1 (body)
 * and 100 (head), constant schedules in both (research/papers.md §B.6).
 */
export const AUTHORS_USED_STEPS: Readonly<Record<string, Readonly<Partial<Record<LayerGroup, number>>>>> = {
  "nanogpt-unscion": { hidden: 0.00036 * 50, embed: 0.00036 * 3000 },
  "cnn-unscion": { hidden: 0.5 * 1, head: 0.5 * 100 },
};

/** The expected estimate-line formats, quoted in error messages. */
const EXPECTED_FORMAT =
  '"step:<k>/<total> (<param index>) L_estimated: <L_hat> norm_grad: <g>" (NanoGPT) or ' +
  '"step:<epoch> (<param index>) L_estimated: <L_hat> norm_grad: <g>" (CNN)';

/** A number as Python prints it (including nan and inf; never a bare trailing point, so "0." is a cut line). */
const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf)`;
const ESTIMATE_LINE = new RegExp(
  String.raw`^step:(${NUMBER})(?:/(\d+))? \((\d+)\) L_estimated: (${NUMBER}) norm_grad: (${NUMBER})\s*$`,
);
const VALIDATION_LINE = new RegExp(String.raw`^step:(\d+)/\d+ val_loss:(${NUMBER})\b`);
/** The start of an estimate line ("step:<k> (<index>"), which a cut line may keep without "L_estimated". */
const ESTIMATE_PREFIX = /^step:\S+ \(/;
/**
 * A step line cut before it says what it is ("step:<k>" alone) or inside or after "val_loss" without a
 * parsable number: both must have been validation or estimate lines.
 */
function isCutStepLine(trimmed: string): boolean {
  const m = /^step:\S+(?: (.*))?$/.exec(trimmed);
  if (!m) return false;
  const rest = m[1] ?? "";
  return rest.startsWith("val_loss") || "val_loss:".startsWith(rest);
}

/**
 * Parses an authors' log. Lines other than estimates and validation losses are ignored. An estimate or
 * validation line that is cut short or does not parse, a negative step or norm, a step total that
 * changes, a log that mixes the two step formats, ends inside a step's estimates (parameters with fewer
 * estimates than the others) or has no estimates is an error naming the source (`source`, e.g. the file
 * path) and the line.
 */
export function parseAuthorsLog(text: string, source = "log"): AuthorsLog {
  const series = new Map<number, ParamSeries>();
  const validation = { step: [] as number[], loss: [] as number[] };
  let totalSteps: number | null | undefined;
  let lastEstimateLine = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${source}:${i + 1}`;
    const trimmed = line.trim();
    if (line.includes("L_estimated") || ESTIMATE_PREFIX.test(trimmed)) {
      const match = ESTIMATE_LINE.exec(trimmed);
      if (!match) {
        throw new Error(
          `${where}: cannot parse estimate line "${trimmed}" (cut short or edited?); expected ${EXPECTED_FORMAT}`,
        );
      }
      const [, step, total, param, lHat, normGrad] = match;
      const lineTotal = total === undefined ? null : Number(total);
      if (totalSteps !== undefined && (totalSteps === null) !== (lineTotal === null)) {
        throw new Error(`${where}: mixes "step:<k>/<total>" and "step:<epoch>" estimate lines`);
      }
      if (totalSteps != null && lineTotal !== totalSteps) {
        throw new Error(
          `${where}: step total /${lineTotal} differs from the earlier lines' /${totalSteps}; the line is cut or edited`,
        );
      }
      totalSteps = lineTotal;
      const values = {
        step: pythonNumber(step),
        L_estimated: pythonNumber(lHat),
        norm_grad: pythonNumber(normGrad),
      };
      for (const [name, value] of Object.entries(values)) {
        if (value < 0) {
          throw new Error(
            `${where}: ${name} is ${value}, negative; steps and both norms are never negative, so the line ` +
              `is corrupt: take the log from its source again`,
          );
        }
      }
      const index = Number(param);
      const entry = series.get(index) ?? { param: index, step: [], lHat: [], normGrad: [] };
      series.set(index, entry);
      entry.step.push(values.step);
      entry.lHat.push(values.L_estimated);
      entry.normGrad.push(values.norm_grad);
      lastEstimateLine = i + 1;
      return;
    }
    const val = VALIDATION_LINE.exec(trimmed);
    if (val) {
      validation.step.push(Number(val[1]));
      validation.loss.push(pythonNumber(val[2]));
    } else if (isCutStepLine(trimmed)) {
      throw new Error(
        `${where}: cannot parse step line "${trimmed}" (cut short?); expected "step:<k>/<total> val_loss:<v>" ` +
          `or ${EXPECTED_FORMAT}`,
      );
    }
  });
  if (totalSteps === undefined) {
    throw new Error(`${source}: no smoothness estimate lines found; expected lines like ${EXPECTED_FORMAT}`);
  }
  const params = [...series.values()].sort((a, b) => a.param - b.param);
  checkWholeSteps(params, `${source}:${lastEstimateLine}`);
  return { stepUnit: totalSteps === null ? "epoch" : "iteration", totalSteps, params, validation };
}

/**
 * The authors' scripts print every parameter's estimate at each measured step, so every series has the
 * same length; a shorter one means the log ends (or was cut) inside a step's estimates.
 */
function checkWholeSteps(params: ParamSeries[], lastLine: string): void {
  const full = Math.max(...params.map((p) => p.step.length));
  const short = params.filter((p) => p.step.length < full);
  if (short.length === 0) return;
  const listed = short.slice(0, 6).map((p) => `${p.param} (${p.step.length})`).join(", ");
  throw new Error(
    `${lastLine}: the log ends inside a step's estimates: parameters ${listed}${
      short.length > 6 ? ", ..." : ""
    } ` +
      `have fewer estimates than the others' ${full}. The file is truncated: take it from its source again, ` +
      `or delete the incomplete last step's lines.`,
  );
}

/** Converts a number printed by Python (nan, inf, -inf included) to a JS number. */
function pythonNumber(text: string): number {
  const bare = text.replace(/^[-+]/, "");
  if (bare === "nan") return NaN;
  if (bare === "inf") return text.startsWith("-") ? -Infinity : Infinity;
  return Number(text);
}

/** The six matrices of a modded-nanogpt block, in parameter order. */
const NANOGPT_BLOCK = ["attn.c_q", "attn.c_k", "attn.c_v", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"];

/**
 * The layer of parameter `param` in the authors' modded-nanogpt with `blocks` transformer blocks: six
 * matrices per block (c_q, c_k, c_v, attn.c_proj, mlp.c_fc, mlp.c_proj), then the tied wte = lm_head.
 */
export function nanogptLayer(param: number, blocks = 12): LayerLabel {
  const count = NANOGPT_BLOCK.length * blocks;
  if (!Number.isInteger(param) || param < 0 || param > count) {
    throw new Error(`nanogptLayer: parameter index ${param} is outside 0..${count} for ${blocks} blocks`);
  }
  if (param === count) return { name: "wte=lm_head", group: "embed" };
  const block = Math.floor(param / NANOGPT_BLOCK.length);
  return { name: `h.${block}.${NANOGPT_BLOCK[param % NANOGPT_BLOCK.length]}`, group: "hidden" };
}

/**
 * The 14 trainable parameters of the authors' airbench CifarNet in their Scion groups' order
 * (cnn_on_cifar10/train_cnn_estimate_blockwise_smoothness*.py: the conv kernels, whiten.bias, the
 * BatchNorm biases, then the head), which the notebook's labels of indices 1, 2, 5, 8, 9 and 13 confirm.
 */
export const CIFARNET_LAYERS: readonly LayerLabel[] = [
  ...[1, 2, 3].flatMap((b) => [`layers.${b}.conv1`, `layers.${b}.conv2`]),
  "whiten.bias",
  ...[1, 2, 3].flatMap((b) => [`layers.${b}.norm1.bias`, `layers.${b}.norm2.bias`]),
].map((name): LayerLabel => ({ name, group: "hidden" })).concat([{ name: "head", group: "head" }]);

/**
 * The layers of a log's parameters where the model is certain from the log's shape: an iteration-stepped
 * log with parameters 0..6B is the authors' modded-nanogpt with B blocks; an epoch-stepped log with
 * parameters 0..13 is their CifarNet. Otherwise null (use the indices).
 */
export function authorsLayers(log: AuthorsLog): LayerLabel[] | null {
  const indices = log.params.map((p) => p.param);
  const contiguous = indices.every((p, i) => p === i);
  if (!contiguous) return null;
  if (log.stepUnit === "iteration" && indices.length % NANOGPT_BLOCK.length === 1 && indices.length > 1) {
    const blocks = (indices.length - 1) / NANOGPT_BLOCK.length;
    return indices.map((p) => nanogptLayer(p, blocks));
  }
  if (log.stepUnit === "epoch" && indices.length === CIFARNET_LAYERS.length) return [...CIFARNET_LAYERS];
  return null;
}
