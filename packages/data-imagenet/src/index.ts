export {
  IMAGE_EXTENSIONS,
  scanFlatImageFolder,
  scanImageFolder,
  type ImageFolder,
  type ImageSample,
  type ScanFlatImageFolderOptions,
  type ScanImageFolderOptions,
} from './image-folder.js';
// ImageDecodeError is @hrnet/core's (one class for every data package); re-exported as documented.
export { ImageDecodeError } from '@hrnet/core';
export { decodeImage, readImageSize, type Box, type DecodeOps, type ImageSource, type Interpolation, type RgbImage } from './decode.js';
export {
  DEFAULT_CROP_PCT,
  centerCropBox,
  colorJitterInPlace,
  evalTransform,
  normalizeInto,
  randomCropBox,
  randomResizedCropBox,
  randomResizedCropTransform,
  resizeShorterSide,
  trainTransform,
  transformFromSpec,
  type ColorJitterOptions,
  type RandomResizedCropOptions,
  type TransformSpec,
  type EvalTransformOptions,
  type ImageTransform,
  type NormalizeOptions,
  type TrainTransformOptions,
} from './transforms.js';
export { DecodePool } from './decode-pool.js';
export { BatchLoader, type BatchLoaderOptions, type ImageBatch } from './batch-loader.js';
export { generateImageFolderDataset, MAX_SYNTHETIC_CLASSES, type SyntheticDataset, type SyntheticDatasetOptions } from './synthetic-dataset.js';
// The metric lives in @hrnet/core (the classification task of @hrnet/heads uses it too); re-exported as documented.
export { countTopKCorrect, topKAccuracy } from '@hrnet/core';
// The seeded RNG lives in @hrnet/core; re-exported here as documented.
export { createRng, mixSeed, permutation, type Rng } from '@hrnet/core';
// ImageNet statistics live in @hrnet/core (shared with @hrnet/heads and @hrnet/data-coco); re-exported as documented.
export { IMAGENET_MEAN, IMAGENET_STD } from '@hrnet/core';
export {
  cutmixBoxAndLam,
  mixBatchInPlace,
  sampleBeta,
  sampleMixParams,
  type MixParams,
  type MixupOptions,
} from './augment/mixup.js';
export {
  eraseBoxInPlace,
  randomErasingBoxes,
  randomErasingInPlace,
  type RandomErasingMode,
  type RandomErasingOptions,
} from './augment/random-erasing.js';
export { parseRandAugment, randAugment, type RandAugmentApplyOptions, type RandAugmentPolicy } from './augment/rand-augment.js';
