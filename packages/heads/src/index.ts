// One factory over every family and preset
export { createModel, fetchPretrained, listFamilies, listModels, loadPretrained, modelInfo, registerFamily, type FamilyConfig } from './model-registry.js';
export { HRNET_HUB_ENV, type PretrainedOptions } from './pretrained-weights.js';
export { TIMM_PRETRAINED_TAGS } from './classification/pretrained.js';
export type { ModelFamily, ModelInfo, ModelOptions, PretrainedWeights, Preprocessing } from './model-family.js';
// The head contract (for family authors)
export { composeHeadModel, expectFeatures, type Head } from './head.js';

// Family: classification (timm HRNet classifiers)
export { createClassifier, type ClassifierOptions } from './classification/create-classifier.js';
export { classificationHead, type ClassificationHeadOptions } from './classification/classification-head.js';
export { classificationTask, type ClassificationTaskOptions, type ClassPrediction, type LabelledImageBatch } from './classification/task.js';

// Family: HigherHRNet (bottom-up keypoints): network, presets, codec, loss, task, inference
export { createHigherHRNet, type HigherHrnetOptions } from './higher-hrnet/higher-hrnet.js';
export { higherHrnetConfigSchema, parseHigherHrnetConfig, type HigherHrnetConfig, type HigherHrnetConfigInput, type HigherHrnetLossConfig } from './higher-hrnet/higher-hrnet-config.js';
export { higherHrnetPreset, listHigherHrnetPresets, registerHigherHrnetPreset, type HigherHrnetPreset } from './higher-hrnet/higher-hrnet-presets.js';
export { HigherHrnetCodec } from './higher-hrnet/codec.js';
export type { HigherHrnetTargetConfig } from './higher-hrnet/target-encoder.js';
export { createHigherHrnetLoss, type HigherHrnetLossTerms, type HigherHrnetTargets } from './higher-hrnet/multi-loss.js';
export type { AeLossType, JointsTarget } from './higher-hrnet/associative-embedding-loss.js';
export { higherHrnetTask, type HigherHrnetDecodeOptions, type HigherHrnetTask } from './higher-hrnet/task.js';
export { estimatePoses, type EstimatePosesOptions, type PoseModel } from './higher-hrnet/estimate-poses.js';
export {
  decodeMultiScalePoses,
  decodePoses,
  poseDecodeMeta,
  type DecodedPoses,
  type DecodeOptions,
  type PoseDecodeMeta,
  type PoseHeadDecodeOptions,
  type PoseOutputMap,
  type ScaleOutputs,
} from './higher-hrnet/decode-poses.js';
export type { RgbImage } from './pose-common/rgb-image.js';
export type { Planes } from './pose-common/planes.js';

// Pose results (shared by every keypoint family)
export type { Pose, PoseKeypoint } from './pose-common/pose-types.js';
export { peopleToCocoResults, posesToCocoResults, type CocoKeypointRecord } from './pose-common/coco-results.js';
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
// Family: top-down heatmap pose (MMPose TopDown: HF-HRNet, HRNet-W32): network, presets, MSRA heatmap codec, loss, task, inference
export { createTopDownModel, type TopDownOptions } from './top-down/create-top-down.js';
export { parseTopDownConfig, topDownBackbone, topDownConfigSchema, topDownModelSchema, type TopDownConfig, type TopDownConfigInput, type TopDownModelConfig } from './top-down/top-down-config.js';
export { listTopDownPresets, resolveTopDownConfig, topDownPreset, type TopDownPreset } from './top-down/top-down-presets.js';
export { MsraHeatmapCodec, type MsraHeatmapCodecOptions } from './top-down/msra-heatmap-codec.js';
export { jointsMseLoss } from './top-down/joints-mse-loss.js';
export { oksNms, rescore, type TopDownPrediction } from './top-down/oks-nms.js';
export { topDownTask, type TopDownDecodeOptions, type TopDownTask } from './top-down/task.js';
export {
  codecForModel,
  cropPerson,
  estimateCropKeypoints,
  estimateTopDownPoses,
  predictHeatmaps,
  rescoreAndSuppress,
  type EstimateTopDownPosesOptions,
  type PersonBox,
  type PersonCrop,
  type TopDownInferenceOptions,
  type TopDownModel,
} from './top-down/estimate-poses.js';
