// Layers (leaf custom layers, serializable)
export { Conv2d, type Conv2dArgs } from './layers/conv2d.js';
export { BatchNorm2d, type BatchNorm2dArgs } from './layers/batch-norm-2d.js';
export { ReLU } from './layers/relu.js';
export { Add } from './layers/add.js';
export { ImageInputCheck, type ImageInputCheckArgs } from './layers/image-input-check.js';
export { add, bn, channelsOf, conv, convBnSeq, relu, upsampleNearest, type Sym } from './layers/functional.js';
// Blocks
export { basicBlock, type BlockArgs } from './blocks/basic-block.js';
export { bottleneck } from './blocks/bottleneck.js';
export { BLOCKS, residualLayer, type BlockType } from './blocks/residual-layer.js';
export { highResolutionModule, type HighResolutionModuleArgs } from './blocks/high-resolution-module.js';
export { transition } from './blocks/transition.js';
export { hrnetStem } from './blocks/stem.js';
// Backbones and registry
export { hrnetConfigSchema, parseHrnetConfig, type HrnetConfig, type HrnetConfigInput, type HrnetStageConfig } from './backbones/hrnet-config.js';
export { HRNET_VARIANTS } from './backbones/hrnet-variants.js';
export { hrnetFeatureInfo, hrnetFeatures, imageInput, type FeatureInfo, type HrnetFeatureOptions, type InputOptions } from './backbones/hrnet-backbone.js';
export { backboneFeatureInfo, createBackbone, listModels, registerModel, resolveConfig, type BackboneOptions, type ModelNameOrConfig } from './backbones/registry.js';
// Training
export { variableGrads } from './autodiff/variable-grads.js';
export { applyTraining } from './autodiff/apply-training.js';
// Utilities
export { countMacs } from './utils/count-macs.js';
export { createRng, mixSeed, permutation, SeededRng, type Rng } from './utils/rng.js';
export { isProcessAlive } from './utils/process-alive.js';
export { invertAffine, roundHalfEven, warpAffine, type RawImage } from './image/warp-affine.js';
// Backends
export { activeBackend, initBackend, type ActiveBackend, type BackendKind, type InitBackendOptions } from './backend/init-backend.js';
export { registerWasmTrainingKernels, wasmTrainingKernelsRegistered, WASM_TRAINING_KERNELS } from './backend/wasm-training-kernels.js';
// Weights
export { loadPytorchWeights, loadStateDict, exportPytorchStateDict, WeightLoadError, type LoadReport, type LoadPytorchWeightsOptions, type ShapeMismatch, type NamingOption, type ExportOptions } from './weights/load-pytorch-weights.js';
export { readSafetensors, decodeSafetensors, writeSafetensors, type SafetensorsContents, type SafetensorsTensorInput, type WriteSafetensorsOptions } from './weights/safetensors.js';
export { readPytorchCheckpoint, decodePytorchCheckpoint, type PytorchCheckpointLimits, type ReadPytorchCheckpointOptions } from './weights/pytorch-checkpoint.js';
export { PickleSecurityError, UnpicklingError } from './weights/restricted-unpickler.js';
export { readWeights, type WeightsFile, type WeightsFormat } from './weights/read-weights.js';
export { registerNaming, resolveNaming, listNamings, type NamingFn, type NamingScheme } from './weights/naming.js';
export { saveModelToDir, loadModelFromDir, dirSaveHandler, dirLoadHandler, type SaveModelToDirOptions } from './weights/model-dir.js';
export type { StateDict, StateTensor, WeightDtype, TensorArray } from './weights/state-dict.js';
// HigherHRNet: transposed convolution (PyTorch ConvTranspose2d semantics)
export { ConvTranspose2d, type ConvTranspose2dArgs } from './layers/conv-transpose-2d.js';
