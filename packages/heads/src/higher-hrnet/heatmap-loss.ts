import * as tf from '@tensorflow/tfjs';

/**
 * HigherHRNet's HeatmapLoss (`lib/core/loss.py`), per image: mean over (J, H, W) of (pred - target)² · mask.
 * Masked-out pixels still count in the denominator. NHWC: `pred` and `target` [N, H, W, J], `mask` [N, H, W]
 * (1 = counted). Returns [N].
 */
export function heatmapLoss(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor): tf.Tensor1D {
  if (pred.rank !== 4 || pred.shape.join() !== target.shape.join()) {
    throw new Error(`heatmapLoss: pred [${pred.shape}] and target [${target.shape}] must both be [N, H, W, J]`);
  }
  if (mask.shape.join() !== pred.shape.slice(0, 3).join()) {
    throw new Error(`heatmapLoss: mask [${mask.shape}] must be [N, H, W] = [${pred.shape.slice(0, 3)}]`);
  }
  return tf.tidy(() => {
    const sq = tf.mul(tf.squaredDifference(pred, target), tf.expandDims(mask, -1));
    // Mean over W, then H, then J, as `loss.mean(dim=3).mean(dim=2).mean(dim=1)`: short float32 sums. One
    // mean over all J*H*W values (69632 at 64x64) drifts by ~1e-5 relative on wasm.
    return tf.mean(tf.mean(tf.mean(sq, 2), 1), 1) as tf.Tensor1D;
  });
}
