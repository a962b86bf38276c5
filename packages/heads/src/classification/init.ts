import * as tf from '@tensorflow/tfjs';
import { mixSeed } from '@hrnet/core';

/**
 * timm's `HighResolutionNet.init_weights`, drawn from `seed`: every conv kernel ~ kaiming_normal_(mode='fan_out',
 * nonlinearity='relu') = N(0, 2 / (k·k·out)); the classifier keeps PyTorch's `nn.Linear` default (weight and
 * bias ~ U(±1/√in)), as timm leaves it. BatchNorm starts at weight 1 / bias 0 and conv biases at 0 as built.
 * Same seed → same weights.
 */
export function initClassifierWeights(model: tf.LayersModel, seed: number): void {
  let i = 0;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const conv = /Conv/.test(kind);
    if (!conv && kind !== 'Dense') continue;
    const fanIn = kind === 'Dense' ? (layer.weights[0].shape[0] as number) : 0;
    for (const w of layer.weights) {
      const shape = w.shape as number[];
      const isKernel = /kernel$/.test(w.originalName ?? w.name);
      let value: tf.Tensor | undefined;
      // Conv kernels [k, k, in, out] (depthwise: out 1), so fan_out = k·k·out.
      if (conv && isKernel) value = tf.randomNormal(shape, 0, Math.sqrt(2 / (shape[0] * shape[1] * shape[3])), 'float32', mixSeed(seed, i++));
      else if (!conv) value = tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', mixSeed(seed, i++));
      if (!value) continue;
      w.write(value);
      value.dispose();
    }
  }
}
