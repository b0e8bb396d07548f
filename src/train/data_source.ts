/**
 * The `--data` option: which dataset feeds a workload, parsed from one string, and the batch streams the
 * loop reads (training batches resumable, evaluation batches fixed).
 */
import { channelStats, ImageBatcher, loadImageDataset, loadTextDataset, TextBatcher } from "../data/mod.ts";
import type { ImageSource, TextSource, TokenizerName } from "../data/mod.ts";
import type { HostData } from "../runtime/backend.ts";
import type { BatchStream } from "./loop.ts";

/** The accepted forms of `--data`. */
export const DATA_FORMS = [
  "default (moby-dick for text, fashion-mnist for images)",
  "moby-dick",
  "file:PATH (a UTF-8 text file)",
  "fineweb:DIR (fineweb_train_*.bin / fineweb_val_*.bin shards)",
  "fashion-mnist",
  "idx:DIR (Fashion-MNIST IDX files)",
  "cifar10:DIR (CIFAR-10 binary batches)",
];

/** A loaded dataset with what the workload must know about it. */
export interface LoadedData {
  /** Workload overrides implied by the data (vocabulary size, image shape, classes). */
  modelOverrides: Record<string, unknown>;
  /** Small JSON description for the manifest. */
  description: unknown;
  train(batch: number, context: number | null, seed: number): BatchStream;
  evalBatches(batch: number, context: number | null, count: number): Record<string, HostData>[];
}

function parseText(spec: string): TextSource | null {
  if (spec === "default" || spec === "moby-dick") return "moby-dick";
  if (spec.startsWith("file:")) return { file: spec.slice(5) };
  if (spec.startsWith("fineweb:")) return { fineweb: spec.slice(8) };
  return null;
}

function parseImage(spec: string): ImageSource | null {
  if (spec === "default" || spec === "fashion-mnist") return "fashion-mnist";
  if (spec.startsWith("idx:")) return { idx: spec.slice(4) };
  if (spec.startsWith("cifar10:")) return { cifar10: spec.slice(8) };
  return null;
}

/** Loads the data named by `spec` for a text or image workload. */
export async function loadData(kind: "text" | "image", spec: string, tokenizer: TokenizerName): Promise<LoadedData> {
  const bad = () => new Error(`--data "${spec}" does not fit a ${kind} workload; use one of: ${DATA_FORMS.join("; ")}`);
  if (kind === "text") {
    const source = parseText(spec);
    if (!source) throw bad();
    const ds = await loadTextDataset({ source, tokenizer });
    return {
      modelOverrides: { vocab: ds.vocabSize },
      description: ds.description,
      train: (batchSize, context, seed) => {
        const b = new TextBatcher(ds.train, { batchSize, contextLength: context!, order: "random", seed });
        return { next: () => pick(b.next()), state: () => b.state(), restore: (s) => b.restore(s as never) };
      },
      evalBatches: (batchSize, context, count) => {
        const b = new TextBatcher(ds.val, { batchSize, contextLength: context!, order: "sequential" });
        return Array.from({ length: Math.min(count, b.batchesPerPass) }, () => pick(b.next()));
      },
    };
  }
  const source = parseImage(spec);
  if (!source) throw bad();
  const ds = await loadImageDataset({ source });
  const normalize = channelStats(ds.train);
  return {
    modelOverrides: { input: ds.description.shape, classes: ds.classes.length },
    description: ds.description,
    train: (batchSize, _context, seed) => {
      const b = new ImageBatcher(ds.train, { batchSize, order: "shuffled", seed, dropLast: true, normalize });
      return { next: () => pick(b.next()), state: () => b.state(), restore: (s) => b.restore(s as never) };
    },
    evalBatches: (batchSize, _context, count) => {
      const b = new ImageBatcher(ds.val, { batchSize, order: "sequential", dropLast: true, normalize });
      return Array.from({ length: Math.min(count, b.batchesPerEpoch) }, () => pick(b.next()));
    },
  };
}

function pick(b: { x: Float32Array | Int32Array; y: Int32Array }): Record<string, HostData> {
  return { x: b.x, y: b.y };
}
