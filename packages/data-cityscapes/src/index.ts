export {
  CITYSCAPES_CLASSES,
  CITYSCAPES_CLASS_WEIGHTS,
  CITYSCAPES_PALETTE,
  IGNORE_LABEL,
  LABEL_ID_OF_TRAIN_ID,
  LABEL_ID_TO_TRAIN_ID,
  LabelIdError,
  MAX_LABEL_ID,
  labelIdsToTrainIds,
} from './labels.js';
export { readCityscapesList, scanCityscapes, type CityscapesSample, type CityscapesSamples, type CityscapesSplit, type ScanOptions, type Split } from './layout.js';
export { readLabelIds, readRgb, readSample, type DecodedSample, type RgbImage } from './decode.js';
export {
  CITYSCAPES_MEAN,
  CITYSCAPES_STD,
  evalSample,
  normalizeRgb,
  resizeBilinearU8,
  resizeNearestLabels,
  trainAugment,
  type SegSample,
  type TrainAugOptions,
} from './transforms.js';
export { ConfusionMatrix, type SegMetrics } from './metrics.js';
export { cityscapesBatches, type BatchOptions, type CityscapesBatch } from './batches.js';
export { generateSyntheticCityscapes, SYNTHETIC_TRAIN_IDS, type SyntheticCityscapes, type SyntheticCityscapesOptions } from './synthetic-dataset.js';
