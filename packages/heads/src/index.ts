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
