import * as tf from '@tensorflow/tfjs';

/**
 * The pose code bases' `init_weights` (HigherHRNet's `PoseHigherResolutionNet`, MMPose's HRNet / HF_HRNet backbones
 * and `TopdownHeatmapSimpleHead`), drawn from `seed`: every conv and transposed-conv kernel ~ N(0, 0.001), biases 0
 * (BatchNorm stays at weight 1 / bias 0). Every conv but the final prediction layers is followed by BatchNorm, so
 * the small scale only matters there: the heatmaps start at ~0 instead of the Kaiming init's ~±1, which spares
 * the first hundred updates of shrinking them. Same seed → same weights.
 */
export function initPoseConvWeights(model: tf.LayersModel, seed: number): void {
  let s = seed * 7919 + 1;
  for (const layer of model.layers) {
    if (!/Conv/.test(layer.getClassName())) continue;
    for (const w of layer.weights) {
      const name = w.originalName ?? w.name;
      const shape = w.shape as number[];
      const value = /kernel$/.test(name) ? tf.randomNormal(shape, 0, 0.001, 'float32', s++) : /bias$/.test(name) ? tf.zeros(shape) : undefined;
      if (!value) continue;
      w.write(value);
      value.dispose();
    }
  }
}
