import * as tf from '@tensorflow/tfjs';

const trainingOps = new Map<number, (...inputs: tf.Tensor[]) => tf.Tensor>();

/**
 * Training-mode batch norm with batch statistics `mean`/`variance` (computed by the caller, which also
 * needs them for the running statistics) and the closed-form backward pass
 * dx = γ·rstd/n · (n·dy − Σdy − x̂·Σ(dy·x̂)), as PyTorch's kernel computes it. Autodiff through
 * `tf.moments` + `tf.batchNorm` gives the same numbers with several more full-size elementwise passes
 * (~10% of an HRNet training step on wasm). The gradient w.r.t. mean/variance is folded into dx, so they
 * get zeros.
 */
function batchNormTraining(epsilon: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  let op = trainingOps.get(epsilon);
  if (!op) {
    op = tf.customGrad((...args: unknown[]) => {
      const [x, gamma, beta, mean, variance] = args as tf.Tensor[];
      const save = args[5] as tf.GradSaveFunc;
      const rstd = tf.rsqrt(tf.add(variance, epsilon));
      const xhat = tf.mul(tf.sub(x, mean), rstd);
      save([xhat, rstd, gamma]);
      return {
        value: tf.add(tf.mul(xhat, gamma), beta),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const g = dy as tf.Tensor;
          const [xh, r, gm] = saved;
          const axes = [0, 1, 2];
          const n = g.size / g.shape[3]!;
          const dbeta = tf.sum(g, axes);
          const dgamma = tf.sum(tf.mul(g, xh), axes);
          const centered = tf.sub(tf.sub(g, tf.div(dbeta, n)), tf.mul(xh, tf.div(dgamma, n)));
          const dx = tf.mul(centered, tf.mul(gm, r));
          return [dx, dgamma, dbeta, tf.zerosLike(dbeta), tf.zerosLike(dbeta)];
        },
      };
    }) as (...inputs: tf.Tensor[]) => tf.Tensor;
    trainingOps.set(epsilon, op);
  }
  return op;
}

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
    return batchNormTraining(this.epsilon)(x, gamma, beta, mean, variance) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}
tf.serialization.registerClass(BatchNorm2d, 'hrnet');
