import * as tf from '@tensorflow/tfjs';
import { ConvLayer, type ConvLayerArgs, type KernelSpec } from './conv-layer.js';

/** Options of {@link ConvTranspose2d}; mirrors `torch.nn.ConvTranspose2d` (square kernel, groups 1, dilation 1). */
export interface ConvTranspose2dArgs extends ConvLayerArgs {
  /** PyTorch `padding=`: rows/columns cropped from each side of the full transposed output. Default 0. */
  padding?: number;
  /** PyTorch `output_padding=`: extra rows/columns on the bottom/right; must be < strides. Default 0. */
  outputPadding?: number;
  /** PyTorch defaults to `bias=True`; HigherHRNet (and most uses before a BN) pass `bias=False`, our default. */
  useBias?: boolean;
}

/**
 * A 2-D transposed convolution with PyTorch's size rule:
 * `out = (in - 1) * stride - 2 * padding + kernelSize + outputPadding`.
 *
 * It is the adjoint of a conv2d with the same kernel / stride / symmetric padding whose input is `out`
 * pixels wide, which is exactly what `tf.conv2dTranspose` computes when given that output shape and the
 * numeric padding. Why not `tf.layers.conv2dTranspose`: it only knows 'same'/'valid' and its own output-size
 * rule, so kernel 3 / padding 1 / output_padding 1 (a HigherHRNet option) cannot be expressed.
 * Weights NHWC: `kernel` [k, k, out, in] (PyTorch [in, out, k, k] permuted by [2, 3, 1, 0], no flip), `bias` [out].
 */
export class ConvTranspose2d extends ConvLayer {
  static className = 'ConvTranspose2d';
  readonly outputPadding: number;

  constructor(args: ConvTranspose2dArgs) {
    super(args, 0);
    this.outputPadding = args.outputPadding ?? 0;
    const ints = { filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, outputPadding: this.outputPadding };
    for (const [key, v] of Object.entries(ints)) {
      if (!Number.isInteger(v) || v < 0 || (v === 0 && key !== 'padding' && key !== 'outputPadding')) {
        throw this.error(`${key} must be a ${key.endsWith('adding') ? 'non-negative' : 'positive'} integer, got ${v}`);
      }
    }
    if (this.outputPadding >= this.strides) {
      throw this.error(`outputPadding (${this.outputPadding}) must be smaller than strides (${this.strides})`);
    }
  }

  /** PyTorch's output size along one spatial axis. */
  override outputSize(size: number): number {
    return (size - 1) * this.strides - 2 * this.padding + this.kernelSize + this.outputPadding;
  }

  protected override kernelFor(cin: number): KernelSpec {
    const k = this.kernelSize;
    // PyTorch's default (kaiming_uniform with a = sqrt(5)) is U(±1/sqrt(fan_in)), fan_in = weight.size(1) * k * k = out * k * k.
    const bound = 1 / Math.sqrt(this.filters * k * k);
    return { shape: [k, k, this.filters, cin], initializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed }) };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [n, h, w] = x.shape;
      const outShape: [number, number, number, number] = [n, this.outputSize(h), this.outputSize(w), this.filters];
      if (outShape[1] <= 0 || outShape[2] <= 0) {
        throw new Error(`ConvTranspose2d '${this.name}': input [${x.shape}] gives an empty output [${outShape}]`);
      }
      const y = tf.conv2dTranspose(x, this.kernel!.read() as tf.Tensor4D, outShape, this.strides, this.padding as never);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outputPadding: this.outputPadding };
  }
}
tf.serialization.registerClass(ConvTranspose2d, 'hrnet');
