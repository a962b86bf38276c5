import * as tf from '@tensorflow/tfjs';

/** Options of {@link AvgPool2d}; mirrors `torch.nn.AvgPool2d` (square window, ceil_mode=False). */
export interface AvgPool2dArgs {
  name?: string;
  kernelSize: number;
  /** Default: kernelSize, as PyTorch. */
  strides?: number;
  /** Zero padding on every side, PyTorch's `padding=`. Default 0. */
  padding?: number;
}

/**
 * `torch.nn.AvgPool2d(k, stride, padding)` with PyTorch's default `count_include_pad=True`: every window
 * is divided by k², the zero padding included.
 *
 * Why not `tf.avgPool(x, k, s, pad)`: tfjs divides by the number of pixels inside the image, so border
 * windows differ (HF-HRNet pools with `AvgPool2d(3, 2, 1)` everywhere). Here the input is zero-padded
 * explicitly and pooled 'valid'. With padding 0 and stride = kernel it is also `adaptive_avg_pool2d` to an
 * exact 1/k size.
 */
export class AvgPool2d extends tf.layers.Layer {
  static className = 'AvgPool2d';
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;

  constructor(args: AvgPool2dArgs) {
    super(args as never);
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? args.kernelSize;
    this.padding = args.padding ?? 0;
    for (const [key, v] of Object.entries({ kernelSize: this.kernelSize, strides: this.strides })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`AvgPool2d '${this.name}': ${key} must be a positive integer, got ${v}`);
    }
    // PyTorch's own limit: a window must overlap the image.
    if (!Number.isInteger(this.padding) || this.padding < 0 || this.padding > this.kernelSize / 2) {
      throw new Error(`AvgPool2d '${this.name}': padding must be an integer in [0, kernelSize / 2], got ${this.padding}`);
    }
  }

  /** PyTorch's output size along one spatial axis. */
  outputSize(size: number): number {
    return Math.floor((size + 2 * this.padding - this.kernelSize) / this.strides) + 1;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (size: number | null) => (size == null ? null : this.outputSize(size));
    return [s[0], out(s[1]), out(s[2]), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const p = this.padding;
      const padded = p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]) : x;
      return tf.avgPool(padded, this.kernelSize, this.strides, 'valid');
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides, padding: this.padding };
  }
}
tf.serialization.registerClass(AvgPool2d, 'hrnet');
