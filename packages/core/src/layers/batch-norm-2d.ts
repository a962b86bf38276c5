import * as tf from '@tensorflow/tfjs';

/** Kernels registered by @hrnet/backend-native (by name: it is an optional dependency, loaded only by initBackend). */
const NATIVE_BN_TRAIN = 'HrnetBatchNormTrain';
const NATIVE_BN_TRAIN_GRAD = 'HrnetBatchNormTrainGrad';

interface BatchStats {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

type TrainingOp = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

const trainingOps = new Map<number, { op: TrainingOp; stats: () => BatchStats }>();

/**
 * Training-mode batch norm as one differentiable op: batch statistics, normalisation and the
 * closed-form backward pass dx = γ·rstd/n · (n·dy − Σdy − x̂·Σ(dy·x̂)) as PyTorch's kernel computes it.
 *
 * Why one op instead of `tf.moments` + `tf.batchNorm` under autodiff: the tape would keep the input,
 * the centred input and more per layer, and the backward pass would run through the statistics only
 * to add zeros; here the op keeps one full-size tensor (x̂, or x on the native kernels) and the
 * statistics are computed inside it, off the tape. The batch statistics come out through `stats()`
 * (kept tensors the caller disposes) for the running averages.
 *
 * With @hrnet/backend-native registered it runs its one-pass `HrnetBatchNormTrain` kernels (same
 * formula, statistics accumulated in double).
 */
function batchNormTraining(epsilon: number): { op: TrainingOp; stats: () => BatchStats } {
  const cached = trainingOps.get(epsilon);
  if (cached) return cached;
  let last: BatchStats | undefined;
  const op = tf.customGrad((...args: unknown[]) => {
    const [x, gamma, beta] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const axes = [0, 1, 2];
    if (useNativeKernels(x)) {
      const [y, mean, variance] = tf.engine().runKernel(NATIVE_BN_TRAIN, { x, gamma, beta }, { epsilon }) as unknown as tf.Tensor1D[];
      save([x, mean, variance, gamma]);
      last = { mean: tf.keep(mean), variance: tf.keep(variance) };
      return {
        value: y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], [sx, sm, sv, sg]: tf.Tensor[]) =>
          tf.engine().runKernel(NATIVE_BN_TRAIN_GRAD, { dy: dy as tf.Tensor, x: sx, mean: sm, variance: sv, gamma: sg }, { epsilon }) as unknown as tf.Tensor[],
      };
    }
    const { mean, variance } = tf.moments(x, axes);
    last = { mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D) };
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(x, mean), rstd);
    save([xhat, rstd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [xh, r, gm]: tf.Tensor[]) => {
        const g = dy as tf.Tensor;
        const n = g.size / g.shape[3]!;
        const dbeta = tf.sum(g, axes);
        const dgamma = tf.sum(tf.mul(g, xh), axes);
        const centered = tf.sub(tf.sub(g, tf.div(dbeta, n)), tf.mul(xh, tf.div(dgamma, n)));
        return [tf.mul(centered, tf.mul(gm, r)), dgamma, dbeta];
      },
    };
  }) as TrainingOp;
  const entry = {
    op,
    stats: () => {
      if (!last) throw new Error('BatchNorm2d: batch statistics read before the op ran');
      const s = last;
      last = undefined;
      return s;
    },
  };
  trainingOps.set(epsilon, entry);
  return entry;
}

function useNativeKernels(x: tf.Tensor): boolean {
  return x.dtype === 'float32' && x.rank === 4 && tf.getKernel(NATIVE_BN_TRAIN, tf.getBackend()) != null && tf.getKernel(NATIVE_BN_TRAIN_GRAD, tf.getBackend()) != null;
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
    const { op, stats } = batchNormTraining(this.epsilon);
    const y = op(x, gamma, beta);
    const { mean, variance } = stats();
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    const m = this.momentum;
    tf.tidy(() => {
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.movingMean!.write(tf.add(tf.mul(this.movingMean!.read(), 1 - m), tf.mul(mean, m)));
      this.movingVariance!.write(tf.add(tf.mul(this.movingVariance!.read(), 1 - m), tf.mul(unbiased, m)));
    });
    tf.dispose([mean, variance]);
    return y;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}
tf.serialization.registerClass(BatchNorm2d, 'hrnet');
