import * as tf from '@tensorflow/tfjs';
import { batchMatMul } from './batch-mat-mul.js';
import { conv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { conv2dBackpropInput } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise-backprop.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { mean, sum } from './reduce-outer-axes.js';
import { resizeBilinearGrad, resizeNearestNeighborGrad } from './resize-grad.js';
import { tile } from './tile.js';
import { cast, identity } from './zero-copy.js';
import { originalKernels, type KernelArgs } from './wasm-kernel-utils.js';

/** Marks our kernel configs in tf's (global) kernel registry. */
const MARK = '__hrnetTrainingKernel';

/** Kernel name → our implementation; what each does is documented in its file. */
export const WASM_TRAINING_KERNELS: Readonly<Record<string, (args: KernelArgs) => tf.TensorInfo>> = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv2DBackpropInput: conv2dBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseConv2dNativeBackpropInput,
  Tile: tile,
  BatchMatMul: batchMatMul,
  MaxPoolGrad: maxPoolGrad,
  ResizeNearestNeighborGrad: resizeNearestNeighborGrad,
  ResizeBilinearGrad: resizeBilinearGrad,
  Sum: sum,
  Mean: mean,
  Identity: identity,
  Cast: cast,
};

/** True once {@link registerWasmTrainingKernels} has run (in any copy of this package). */
export function wasmTrainingKernelsRegistered(): boolean {
  return Object.keys(WASM_TRAINING_KERNELS).every((name) => {
    const k = tf.getKernel(name, 'wasm') as (tf.KernelConfig & { [MARK]?: boolean }) | undefined;
    return k?.[MARK] === true;
  });
}

/**
 * Registers the kernels that make training on the `wasm` backend work and run at XNNPACK speed:
 * the missing gradient kernels (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter/Input), fast
 * replacements of slow ones (Conv2DBackpropInput, BatchMatMul, Tile, Sum/Mean over outer axes, copying
 * Identity/Cast) and correct MaxPoolGrad,
 * ResizeNearestNeighborGrad and ResizeBilinearGrad (the shipped ones drop gradient / ignore halfPixelCenters).
 * Replaced kernels stay reachable as fallbacks. Idempotent; needs `@tensorflow/tfjs-backend-wasm`
 * imported first (it registers the kernels ours build on). Works before or after `tf.setBackend('wasm')`.
 */
export function registerWasmTrainingKernels(): void {
  if (!tf.getKernel('Conv2D', 'wasm')) {
    throw new Error("registerWasmTrainingKernels: the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first");
  }
  const originals = originalKernels();
  for (const [kernelName, kernelFunc] of Object.entries(WASM_TRAINING_KERNELS)) {
    const existing = tf.getKernel(kernelName, 'wasm') as (tf.KernelConfig & { [MARK]?: boolean }) | undefined;
    if (existing?.[MARK]) continue;
    if (existing) {
      originals.set(kernelName, existing);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    const original = originals.get(kernelName);
    const config: tf.KernelConfig & { [MARK]: boolean } = {
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      // The fallback (shipped kernel) must still be set up when the backend initialises.
      setupFunc: original?.setupFunc,
      [MARK]: true,
    };
    tf.registerKernel(config);
  }
}
