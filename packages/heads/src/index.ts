export { classificationHead, type ClassificationHeadOptions } from './classification/classification-head.js';
export { createClassifier, type ClassifierOptions } from './classification/create-classifier.js';
// Head contract (shared by all heads)
export { composeHeadModel, expectFeatures, lossTotal, type Head, type HeadDecoder, type HeadLoss, type LossTerms } from './head.js';
// Pose: HigherHRNet (bottom-up keypoints) network, presets and training losses
export { higherHrnetConfigSchema, parseHigherHrnetConfig, higherHrnetBackboneConfig, type HigherHrnetConfig, type HigherHrnetConfigInput, type HigherHrnetLossConfig } from './pose/higher-hrnet-config.js';
export { higherHrnetPreset, listHigherHrnetPresets, registerHigherHrnetPreset, resolveHigherHrnetConfig, type HigherHrnetPreset } from './pose/higher-hrnet-presets.js';
export { createHigherHRNet, type HigherHrnetOptions } from './pose/higher-hrnet.js';
export { higherHrnetHead } from './pose/higher-hrnet-head.js';
export { deconvStage, DECONV_PADDING, type DeconvStageArgs } from './pose/deconv-stage.js';
export { poseFinalLayer } from './pose/pose-final-layers.js';
export { heatmapLoss } from './pose/heatmap-loss.js';
export { associativeEmbeddingLoss, type AeLossResult, type AeLossType, type JointsTarget } from './pose/associative-embedding-loss.js';
export { createHigherHrnetLoss, type HigherHrnetLossTerms, type HigherHrnetTargets } from './pose/multi-loss.js';
// Pose decoding
export { ceil64, getMultiScaleSize, type MultiScaleSize } from './pose/multi-scale-size.js';
export { affineFromPoints, applyAffine, getAffineTransform, invertAffine, type Affine2x3, type AffineTransformOptions, type Point2 } from './pose/affine-transform.js';
export { IMAGENET_MEAN, IMAGENET_STD, normalizeImage, resizeAlignMultiScale, toRgbU8, warpAffineBilinear, type ResizeAlignResult, type RgbImage, type U8Image } from './pose/resize-align.js';
export { flipPlanesWidth, makePlanes, permutePlanes, planesFromNhwc, planesToNhwc, slicePlanes, type Planes } from './pose/planes.js';
export { fma32, resizeBilinear } from './pose/interpolate-bilinear.js';
export { COCO_FLIP_INDEX, getMultiStageOutputs, type MultiStageOptions, type MultiStageResult } from './pose/multi-stage-outputs.js';
export { aggregateResults, emptyAggregate, finishAggregation, type AggregatedMaps, type AggregateState } from './pose/aggregate-results.js';
export { munkres, type CostMatrix } from './pose/hungarian.js';
export {
  COCO_JOINT_ORDER,
  adjustPeople,
  matchByTag,
  nmsHeatmaps,
  parseHeatmaps,
  personScore,
  refinePerson,
  roundHalfEven,
  topK,
  type HeatmapParserOptions,
  type ParseResult,
  type ParserInputShape,
  type TopK,
} from './pose/heatmap-parser.js';
export { getFinalPreds } from './pose/final-preds.js';
export { COCO_KEYPOINT_NAMES, peopleToPoses, type Pose, type PoseKeypoint } from './pose/pose-types.js';
export { peopleToCocoResults, posesToCocoResults, type CocoKeypointRecord } from './pose/coco-results.js';
export {
  decodeAggregatedMaps,
  decodeMultiScalePoses,
  decodePoses,
  poseDecodeMeta,
  poseHeadDecoder,
  type DecodedPoses,
  type DecodeOptions,
  type PoseDecodeMeta,
  type PoseHeadDecodeOptions,
  type PoseOutputMap,
  type ScaleOutputs,
} from './pose/decode-poses.js';
export { estimatePoses, type EstimatePosesOptions, type PoseModel } from './pose/estimate-poses.js';
// Segmentation: HRNetV2 (HRNet-Semantic-Segmentation seg_hrnet) network
export { createSegmenter, type SegmenterOptions } from './segmentation/create-segmenter.js';
export { segmentationHead, type SegmentationHeadOptions } from './segmentation/segmentation-head.js';
export { parseSegExtra, resolveSegNetwork, segBackboneConfig, segExtraSchema, type SegExtra, type SegExtraInput, type SegNetworkConfig } from './segmentation/seg-config.js';
export { HRNET_SEG_NAMING, registerSegNaming } from './segmentation/seg-naming.js';
export { CITYSCAPES_OHEM, createSegmentationLoss, segmentationLoss, type OhemOptions, type SegmentationBatch, type SegmentationLossOptions } from './segmentation/segmentation-loss.js';
export { predictScores, scoresToLabels, segmentImage, type SegmentImageOptions } from './segmentation/segment-image.js';
export { segmentationTask, type SegmentationTask, type SegmentationTaskOptions } from './segmentation/segmentation-task.js';
export { listSegmenterPresets, segmenterPreset, type SegmenterPreset, type SegPreprocessing } from './segmentation/segmenter-presets.js';
export { initSegmenterWeights } from './segmentation/init-segmenter.js';
