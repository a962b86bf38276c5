import * as tf from '@tensorflow/tfjs';
import { createRng } from '@hrnet/core';

/**
 * seg_hrnet's `init_weights` (training from scratch, before an ImageNet backbone is loaded): every conv weight
 * ~ N(0, 0.001²), BN weight 1 and bias 0; conv biases keep PyTorch's default U(±1/√fan_in). Seeded.
 */
export function initSegmenterWeights(model: tf.LayersModel, seed = 0): void {
  const rng = createRng(seed);
  tf.tidy(() => {
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      if (cls === 'Conv2d') {
        const [kernel, bias] = layer.weights;
        const shape = kernel.shape as number[];
        kernel.write(tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal() * 0.001), shape));
        if (bias) {
          const bound = 1 / Math.sqrt(shape[0] * shape[1] * shape[2]);
          bias.write(tf.tensor(Float32Array.from({ length: bias.shape[0]! }, () => rng.uniform(-bound, bound)), bias.shape as number[]));
        }
      } else if (cls === 'BatchNorm2d') {
        const [gamma, beta] = layer.weights;
        gamma.write(tf.onesLike(gamma.read()));
        beta.write(tf.zerosLike(beta.read()));
      }
    }
  });
}
