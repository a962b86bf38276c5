import * as tf from '@tensorflow/tfjs';

/**
 * MMPose's `JointsMSELoss`: per joint the mean over (batch, pixels) of the squared difference, with
 * `use_target_weight` both maps multiplied by the joint's weight first; the joints' mean, times `loss_weight`.
 * NHWC: `pred`, `target` `[N, H, W, J]`, `weight` `[N, J]`. Returns a scalar.
 */
export function jointsMseLoss(pred: tf.Tensor, target: tf.Tensor, weight: tf.Tensor | undefined, opts: { useTargetWeight: boolean; lossWeight?: number }): tf.Scalar {
  if (pred.rank !== 4 || pred.shape.join() !== target.shape.join()) throw new Error(`JointsMSELoss: pred [${pred.shape}] and target [${target.shape}] must both be [N, H, W, J]`);
  const [n, , , j] = pred.shape;
  if (opts.useTargetWeight && (!weight || weight.shape.join() !== [n, j].join())) throw new Error(`JointsMSELoss: target_weight must be [N, J] = [${n}, ${j}], got [${weight?.shape ?? 'none'}]`);
  return tf.tidy(() => {
    let diff = tf.sub(pred, target);
    if (opts.useTargetWeight) diff = tf.mul(diff, tf.reshape(weight!, [n!, 1, 1, j!]));
    // Mean over pixels and batch per joint, then over joints (the reference's per-joint MSELoss sum / J).
    const perJoint = tf.mean(tf.square(diff), [0, 1, 2]);
    return tf.mul(tf.mean(perJoint), opts.lossWeight ?? 1) as tf.Scalar;
  });
}
