import * as tf from '@tensorflow/tfjs';
import { scatterBilinearGrad, scatterNearestGrad } from './resize-grad.js';

/**
 * Replacements for kernels that tfjs-backend-cpu 4.22 gets wrong, found by adjoint checks:
 * `ResizeNearestNeighborGrad` returns wrong values (also for square maps and integer factors, which breaks
 * every HRNet fuse-layer gradient) and `ResizeBilinearGrad` has the wrong output shape when H != W.
 * Both reuse the scatter loops of the wasm kernels.
 */
interface CpuBackend {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

type Attrs = { alignCorners?: boolean; halfPixelCenters?: boolean };
type Dims = [number, number, number, number];

function values(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

const CPU_FIXES: Record<string, tf.KernelFunc> = {
  ResizeNearestNeighborGrad: ({ inputs, backend, attrs }) => {
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners = false, halfPixelCenters = false } = attrs as Attrs;
    const b = backend as unknown as CpuBackend;
    const dx = new Float32Array(images.shape.reduce((a, c) => a * c, 1));
    scatterNearestGrad(values(b, dy), dx, images.shape as Dims, dy.shape[1], dy.shape[2], alignCorners, halfPixelCenters);
    return b.makeTensorInfo(images.shape, 'float32', dx);
  },
  ResizeBilinearGrad: ({ inputs, backend, attrs }) => {
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners = false, halfPixelCenters = false } = attrs as Attrs;
    const b = backend as unknown as CpuBackend;
    const acc = scatterBilinearGrad(values(b, dy), images.shape as Dims, dy.shape[1], dy.shape[2], alignCorners, halfPixelCenters);
    return b.makeTensorInfo(images.shape, 'float32', Float32Array.from(acc));
  },
};

let registered = false;

/** Idempotent; called by `initBackend('cpu')` (and 'auto' when it falls back to cpu). */
export function registerCpuKernelFixes(): void {
  if (registered) return;
  for (const [kernelName, kernelFunc] of Object.entries(CPU_FIXES)) {
    if (tf.getKernel(kernelName, 'cpu')) tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
  }
  registered = true;
}
