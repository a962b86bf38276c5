/**
 * `@hrnet/core/backend`: the backend layer — backend selection (incl. WebGPU), kernel registration and
 * the low-memory training step (`applyTraining`, `variableGrads`). A subpath of core rather than its own
 * package: the layers' training ops (BatchNorm2d, ReLU, Add) are built on these helpers, so a separate
 * package would create a cycle or pull the layers out of core.
 */
export { activeBackend, initBackend, type ActiveBackend, type BackendKind, type InitBackendOptions } from './init-backend.js';
export { guardWasmHeap, limitWasmHeap, WASM_HEAP_EXHAUSTED, type WasmHeapLimit } from './wasm-heap-guard.js';
export { registerWasmTrainingKernels, wasmTrainingKernelsRegistered, WASM_TRAINING_KERNELS } from './wasm-training-kernels.js';
export { registerCpuKernelFixes } from './cpu-kernel-fixes.js';
export { variableGrads } from '../autodiff/variable-grads.js';
export { applyTraining } from '../autodiff/apply-training.js';
export { listWebgpuAdapters } from './webgpu/webgpu-backend.js';
export { adapterIndexForRank, type AdapterEntry, type AdapterSpec } from './webgpu/adapter-choice.js';
export { disableWebgpuF16Convolutions, enableWebgpuF16Convolutions, webgpuF16ConvolutionsEnabled, webgpuHasShaderF16 } from './webgpu/f16-convolutions.js';
