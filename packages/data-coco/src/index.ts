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
export { COCO_KEYPOINT_SIGMAS, computeOksMatrix, type OksDetection, type OksGroundTruth } from './oks.js';
export { prepareDetections, type PreparedDetection } from './prepare-detections.js';
export type { ImageEvaluation } from './evaluate-image.js';
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
