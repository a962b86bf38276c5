export { CocoFormatError, type CocoFormatIssue } from './coco-format-error.js';
export {
  cocoImageSchema,
  cocoKeypointAnnotationSchema,
  cocoKeypointCategorySchema,
  cocoKeypointsFileSchema,
  type CocoImage,
  type CocoKeypointAnnotation,
  type CocoKeypointCategory,
  type CocoKeypointsFile,
  type CocoKeypointsFileInput,
} from './coco-keypoints-schema.js';
export {
  isCocoKeypointsDataset,
  loadCocoKeypoints,
  parseCocoKeypoints,
  type CocoKeypointsDataset,
} from './load-coco-keypoints.js';
export {
  assertSafeImageFileName,
  cocoImageDir,
  createCocoImageResolver,
  resolveCocoImagePath,
  type CocoImageLayout,
  type CocoImagePathOptions,
} from './coco-image-path.js';
export {
  cocoKeypointResultSchema,
  cocoKeypointResultsSchema,
  loadCocoResults,
  parseCocoResults,
  writeCocoResults,
  type CocoKeypointResult,
} from './coco-results.js';
export { computeOksMatrix, type OksDetection, type OksGroundTruth } from './oks.js';
export { KEYPOINT_STAT_NAMES, type KeypointStatName } from './summarize.js';
export {
  evaluateKeypoints,
  evaluateKeypointsSync,
  type EvaluateKeypointsOptions,
  type KeypointEvalParams,
  type KeypointEvaluation,
  type KeypointGroundTruthInput,
  type KeypointOksMatrix,
  type KeypointResultsInput,
} from './evaluate-keypoints.js';
// The seeded RNG lives in @hrnet/core; re-exported here as documented (`shuffledIndices` = core's `permutation`).
export { createRng, mixSeed, permutation as shuffledIndices, type Rng } from '@hrnet/core';
export {
  decodeRleString,
  encodeRleString,
  maskToRle,
  rleArea,
  rleCounts,
  rleToMask,
  type CocoRle,
} from './coco-rle.js';
export { bboxToPolygon, polygonArea, polygonToMask, polygonsToMask } from './polygon-mask.js';
export { segmentationArea, segmentationToMask, type CocoSegmentation } from './segmentation-mask.js';
export { ignoreRegionMask, validPixelMask } from './ignore-mask.js';
export {
  affineMatrix,
  DEFAULT_AFFINE_AUGMENT,
  drawAffineParams,
  identityAffineParams,
  type AffineAugmentConfig,
  type AffineParams,
} from './random-affine.js';
// The warp itself lives in @hrnet/core (shared with @hrnet/heads); re-exported here as documented.
export { invertAffine, roundHalfEven, warpAffine, type RawImage } from '@hrnet/core';
export { warpMask } from './warp-mask.js';
export { jointsFromKeypoints, transformJoints } from './transform-joints.js';
export { flipImageHorizontal, flipJoints } from './horizontal-flip.js';
export {
  resolvePipelineConfig,
  transformSample,
  type KeypointPipelineConfig,
  type KeypointPipelineConfigInput,
  type SampleSource,
  type TransformedSample,
} from './keypoint-sample.js';
export { loadKeypointEncoder } from './load-encoder.js';
export { decodeRgb, DEFAULT_MAX_IMAGE_PIXELS } from './decode-image.js';
// One error class for every data package, @hrnet/core's; re-exported as documented.
export { ImageDecodeError, type BadSamplePolicy } from '@hrnet/core';
export { makeTrainingSample, type SampleAnnotation, type SampleSpec, type TrainingSample } from './training-sample-spec.js';
export {
  inProcessExecutor,
  SampleWorkerPool,
  type PipelineSample,
  type SampleExecutor,
  type SampleWorkerPoolOptions,
} from './sample-worker-pool.js';
export {
  BadSampleError,
  CocoKeypointsTrainSet,
  readImageIdList,
  type CocoKeypointsTrainSetOptions,
  type BadSample,
  type CorruptImagePolicy,
  type KeypointBatch,
  type KeypointBatchOptions,
} from './coco-keypoints-dataset.js';
export { keypointBatchSlicer } from './slice-keypoint-batch.js';
export { imageIdListFile } from './image-id-list.js';
export {
  LIMB_COLOURS,
  randomStickFigure,
  stickFigureSvg,
  type StickFigure,
} from './synthetic-person.js';
export { generateSyntheticCocoKeypoints, type SyntheticCocoOptions, type SyntheticCocoResult } from './synthetic-coco.js';
// Top-down pose (one sample per person box): the person list (ground truth or a detection file), the train_pipeline, batches
export {
  groundTruthPeople,
  loadPersonDetections,
  personDetectionSchema,
  personDetectionsSchema,
  type LoadPersonDetectionsOptions,
  type PersonDetection,
  type TopDownPeople,
  type TopDownPerson,
} from './top-down-people.js';
export {
  COCO_UPPER_BODY_IDS,
  drawTopDownParams,
  makeTopDownSample,
  resolveTopDownPipelineConfig,
  type TopDownParams,
  type TopDownPipelineConfig,
  type TopDownTrainingSample,
} from './top-down-sample.js';
export { CocoTopDownTrainSet, type CocoTopDownTrainSetOptions, type TopDownBatch, type TopDownBatchOptions } from './coco-top-down-train-set.js';
