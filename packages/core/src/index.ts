// Layers (leaf custom layers, serializable)
export { Conv2d, type Conv2dArgs } from './layers/conv2d.js';
export { BatchNorm2d, type BatchNorm2dArgs } from './layers/batch-norm-2d.js';
export { ReLU } from './layers/relu.js';
export { Add } from './layers/add.js';
export { ImageInputCheck, type ImageInputCheckArgs } from './layers/image-input-check.js';
export { AvgPool2d, type AvgPool2dArgs } from './layers/avg-pool-2d.js';
export { UpsampleBilinear, type UpsampleBilinearArgs } from './layers/upsample-bilinear.js';
export { SplitChannels, type SplitChannelsArgs } from './layers/split-channels.js';
export { ResizeBilinear, torchResizeBilinear, type ResizeBilinearArgs } from './layers/resize-bilinear.js';
export { add, bn, channelsOf, conv, convBnSeq, relu, resizeBilinearTo, upsampleNearest, type Sym } from './layers/functional.js';
// Blocks
export { basicBlock, type BlockArgs } from './blocks/basic-block.js';
export { bottleneck } from './blocks/bottleneck.js';
export { BLOCKS, residualLayer, type BlockType } from './blocks/residual-layer.js';
export { highResolutionModule, type FuseUpsample, type HighResolutionModuleArgs } from './blocks/high-resolution-module.js';
export { transition, type TransitionSource } from './blocks/transition.js';
export { hrnetStem } from './blocks/stem.js';
// HF-HRNet blocks (HUM = the official CADBlock)
export { humBlock, type HumBlockArgs } from './blocks/hum-block.js';
export { humModule, type HumModuleArgs } from './blocks/hum-module.js';
export { humStem, type HumStemArgs } from './blocks/hum-stem.js';
export { humTransition } from './blocks/hum-transition.js';
export { iterativeHead } from './blocks/iterative-head.js';
// Backbones and registry
export { hrnetConfigSchema, parseHrnetConfig, type HrnetConfig, type HrnetConfigInput, type HrnetStageConfig } from './backbones/hrnet-config.js';
export { HRNET_VARIANTS } from './backbones/hrnet-variants.js';
export { hrnetFeatureInfo, hrnetFeatures, imageInput, type FeatureInfo, type HrnetFeatureOptions, type InputOptions } from './backbones/hrnet-backbone.js';
export { hfHrnetConfigSchema, parseHfHrnetConfig, type HfHrnetConfig, type HfHrnetConfigInput } from './backbones/hf-hrnet-config.js';
export { HF_HRNET_VARIANTS } from './backbones/hf-hrnet-variants.js';
export { hfHrnetFeatureInfo, hfHrnetFeatures, hfHrnetInputDivisor } from './backbones/hf-hrnet-backbone.js';
export { backboneFeatureInfo, createBackbone, filterModelNames, listModels, registerModel, resolveBackbone, resolveConfig, type BackboneConfig, type BackboneFamily, type BackboneOptions, type ListModelsOptions, type ModelNameOrConfig } from './backbones/registry.js';
// Utilities
export { countMacs } from './utils/count-macs.js';
export { checkShard, shardBatches, type ShardSpec } from './utils/shard.js';
export { siblingWorkerModule, spawnWorker } from './utils/spawn-worker.js';
export { DEFAULT_INIT_SEED, layerSeed, withInitSeed } from './utils/init-seed.js';
export { createRng, mixSeed, permutation, SeededRng, type Rng } from './utils/rng.js';
// The task contract between model families (@hrnet/heads) and the trainer (@hrnet/train), and the losses both use
export type { LossTerms, Task, TaskDecoder, TaskMetric } from './task.js';
export { crossEntropy, type CrossEntropyOptions } from './losses/cross-entropy.js';
export { countTopKCorrect, topKAccuracy } from './metrics/top-k.js';
export { isProcessAlive } from './utils/process-alive.js';
export { guardAgainstSilentExit } from './utils/silent-exit-guard.js';
export { BAD_SAMPLE_POLICIES, isBadSamplePolicy, type BadSamplePolicy } from './utils/bad-sample-policy.js';
export { outsideRootWarning, pathsOutsideRoot } from './utils/outside-root.js';
export { writeFileAtomic } from './utils/write-file-atomic.js';
export { invertAffine, roundHalfEven, warpAffine, type RawImage } from './image/warp-affine.js';
export { affineFromPoints, applyAffine, getAffineTransform, type Affine2x3, type AffineTransformOptions, type Point2 } from './image/affine-transform.js';
export { multiScaleSize } from './image/multi-scale-size.js';
export type { EncodedBatch, EncodedTargets, KeypointEncoder, KeypointEncoderRef, KeypointSample, TargetArray, TopDownSample, TopDownTargetEncoder } from './keypoints/keypoint-encoder.js';
export { bboxToCenterScale, PIXEL_STD } from './keypoints/bbox-center-scale.js';
export { COCO_FLIP_INDEX, COCO_KEYPOINT_NAMES, COCO_KEYPOINT_SIGMAS, COCO_SKELETON } from './keypoints/coco-keypoints.js';
export { ImageDecodeError } from './image/image-decode-error.js';
export { cmykToRgb } from './image/cmyk-to-rgb.js';
export { DEFAULT_MAX_IMAGE_PIXELS, imageDecodeError } from './image/pixel-budget.js';
export { IMAGENET_MEAN, IMAGENET_STD, normalizationTable, normalizeImage } from './image/normalize-image.js';
// Backends: every user calls these two; the rest of the backend layer is `@hrnet/core/backend`.
export { activeBackend, BACKEND_KINDS, initBackend } from './backend/init-backend.js';
// Weights
export { loadPytorchWeights, loadStateDict, exportPytorchStateDict, WeightLoadError, type LoadReport, type LoadPytorchWeightsOptions, type ShapeMismatch, type NamingOption, type ExportOptions } from './weights/load-pytorch-weights.js';
export { readSafetensors, decodeSafetensors, writeSafetensors, type SafetensorsContents, type SafetensorsTensorInput, type WriteSafetensorsOptions } from './weights/safetensors.js';
export { readPytorchCheckpoint, decodePytorchCheckpoint, type PytorchCheckpointLimits, type ReadPytorchCheckpointOptions } from './weights/pytorch-checkpoint.js';
export { PickleSecurityError, UnpicklingError } from './weights/restricted-unpickler.js';
export { readWeights, type WeightsFile, type WeightsFormat } from './weights/read-weights.js';
export { registerNaming, resolveNaming, listNamings, type NamingFn, type NamingScheme } from './weights/naming.js';
export { cacheDirectory, fetchCached, HRNET_CACHE_ENV, type FetchCachedOptions } from './weights/fetch-cached.js';
export { saveModelToDir, loadModelFromDir, dirSaveHandler, dirLoadHandler, type SaveModelToDirOptions } from './weights/model-dir.js';
export type { StateDict, StateTensor, WeightDtype, TensorArray } from './weights/state-dict.js';
// HigherHRNet: transposed convolution (PyTorch ConvTranspose2d semantics)
export { ConvTranspose2d, type ConvTranspose2dArgs } from './layers/conv-transpose-2d.js';
