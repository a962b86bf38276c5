import * as tf from '@tensorflow/tfjs';

/** Options of {@link BatchNorm2d}; the defaults are PyTorch's. */
export interface BatchNorm2dArgs {
  name?: string;
  trainable?: boolean;
  epsilon?: number;
  /** PyTorch convention: running = (1 - momentum) * running + momentum * batch. */
  momentum?: number;
}

/**
 * `torch.nn.BatchNorm2d` on NHWC tensors.
 *
 * Why not `tf.layers.batchNormalization`: PyTorch updates the running variance with the *unbiased*
 * batch variance (x n/(n-1)) and normalises with the biased one; Keras uses the biased one for both,
 * so running statistics drift apart from the reference after the first training step.
 * Weights: `gamma`, `beta` (trainable), `moving_mean`, `moving_variance`.
 */
export class BatchNorm2d extends tf.layers.Layer {
  static className = 'BatchNorm2d';
  readonly epsilon: number;
  readonly momentum: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor(args: BatchNorm2dArgs = {}) {
    super(args as never);
    this.epsilon = args.epsilon ?? 1e-5;
    this.momentum = args.momentum ?? 0.1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[shape.length - 1];
    if (c == null) throw new Error(`BatchNorm2d '${this.name}': the channel dimension must be known`);
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const gamma = this.gamma!.read() as tf.Tensor1D;
    const beta = this.beta!.read() as tf.Tensor1D;
    if (!kwargs?.training) {
      return tf.batchNorm(x, this.movingMean!.read() as tf.Tensor1D, this.movingVariance!.read() as tf.Tensor1D, beta, gamma, this.epsilon);
    }
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    const m = this.momentum;
    tf.tidy(() => {
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.movingMean!.write(tf.add(tf.mul(this.movingMean!.read(), 1 - m), tf.mul(mean, m)));
      this.movingVariance!.write(tf.add(tf.mul(this.movingVariance!.read(), 1 - m), tf.mul(unbiased, m)));
    });
    return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}
tf.serialization.registerClass(BatchNorm2d, 'hrnet');
