export { IMAGE_EXTENSIONS, scanImageFolder, type ImageFolder, type ImageSample, type ScanImageFolderOptions } from './image-folder.js';
export { decodeImage, readImageSize, ImageDecodeError, type Box, type DecodeOps, type ImageSource, type Interpolation, type RgbImage } from './decode.js';
export {
  DEFAULT_CROP_PCT,
  IMAGENET_MEAN,
  IMAGENET_STD,
  centerCropBox,
  evalTransform,
  normalizeInto,
  randomCropBox,
  resizeShorterSide,
  trainTransform,
  type EvalTransformOptions,
  type ImageTransform,
  type NormalizeOptions,
  type TrainTransformOptions,
} from './transforms.js';
export { BatchLoader, type BatchLoaderOptions, type CorruptImagePolicy, type ImageBatch } from './batch-loader.js';
export { generateImageFolderDataset, MAX_SYNTHETIC_CLASSES, type SyntheticDataset, type SyntheticDatasetOptions } from './synthetic-dataset.js';
export { countTopKCorrect, topKAccuracy } from './metrics.js';
export { createRng, mixSeed, permutation, type Rng } from './rng.js';
