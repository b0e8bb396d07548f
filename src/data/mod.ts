/**
 * The data layer: corpora, tokenizers, image sets, FineWeb-shard, IDX and CIFAR-10 readers, and
 * deterministic, resumable batching.
 */
export { CharTokenizer } from "./char_tokenizer.ts";
export { GPT2_EOT, GPT2_VOCAB_SIZE, Gpt2Tokenizer } from "./bpe_tokenizer.ts";
export type { Tokenizer, TokenizerManifest, TokenizerName } from "./tokenizer.ts";
export {
  type Corpus,
  type CorpusDescription,
  type CorpusSource,
  loadCorpus,
  loadDefaultCorpus,
  MOBY_DICK_PACKAGE,
} from "./corpus.ts";
export {
  loadTokenShards,
  readTokenShard,
  SHARD_MAGIC_GPT_OPT,
  SHARD_MAGIC_MODDED_NANOGPT,
  SHARD_MAGICS,
  type ShardSet,
  writeTokenShard,
} from "./fineweb.ts";
export {
  DEBIAN_FASHION_MNIST_DIR,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxArray,
  type IdxImageSet,
  readIdx,
  readIdxDirectory,
  readIdxImageSet,
  writeIdx,
} from "./idx.ts";
export {
  CIFAR10_CLASSES,
  type CifarImageSet,
  readCifar10Directory,
  readCifarBatch,
  writeCifarBatch,
} from "./cifar.ts";
export { FASHION_MNIST_CLASSES, loadFashionMnistPackage } from "./fashion_mnist.ts";
export { defaultCacheDir } from "./cache_dir.ts";
export {
  type ChannelStats,
  channelStats,
  type ImageShape,
  type ImageSplit,
  takeImages,
} from "./image_set.ts";
export {
  type ImageDataset,
  type ImageDatasetDescription,
  type ImageDatasetOptions,
  type ImageSource,
  loadImageDataset,
} from "./image_dataset.ts";
export {
  loadTextDataset,
  type TextDataset,
  type TextDatasetDescription,
  type TextDatasetOptions,
  type TextSource,
} from "./text_dataset.ts";
export {
  type TextBatch,
  TextBatcher,
  type TextBatcherOptions,
  type TextBatcherState,
  type TokenArray,
} from "./text_batches.ts";
export {
  type ImageBatch,
  ImageBatcher,
  type ImageBatcherOptions,
  type ImageBatcherState,
} from "./image_batches.ts";
