import * as tf from '@tensorflow/tfjs';
import { ConvLayer, type ConvLayerArgs, type KernelSpec } from './conv-layer.js';

/** Options of {@link Conv2d}; mirrors `torch.nn.Conv2d` (square kernels, symmetric zero padding). */
export interface Conv2dArgs extends ConvLayerArgs {
  /** Zero padding on every side, as PyTorch's `padding=`; defaults to (kernelSize - 1) / 2. */
  padding?: number;
  /** `groups == in_channels == out_channels` in PyTorch: one filter per channel. */
  depthwise?: boolean;
}

/**
 * A 2-D convolution with PyTorch's padding semantics.
 *
 * Why not `tf.layers.conv2d`: its 'same' padding puts the extra pixel of a stride-2 conv on the
 * bottom/right only, which changes every number downstream; PyTorch pads symmetrically.
 * Weights are NHWC/HWIO (`kernel` [k, k, in, out], or [k, k, C, 1] when depthwise).
 */
export class Conv2d extends ConvLayer {
  static className = 'Conv2d';
  readonly depthwise: boolean;

  constructor(args: Conv2dArgs) {
    super(args, (args.kernelSize - 1) / 2);
    this.depthwise = args.depthwise ?? false;
    if (!Number.isInteger(this.padding)) {
      throw this.error(`padding must be an integer, got ${this.padding}`);
    }
  }

  protected override kernelFor(cin: number): KernelSpec {
    if (this.depthwise && cin !== this.filters) {
      throw this.error(`depthwise needs in == out channels, got ${cin} -> ${this.filters}`);
    }
    const k = this.kernelSize;
    // timm initialises HRNet convs with kaiming_normal_(mode='fan_out', nonlinearity='relu').
    const fanOut = k * k * (this.depthwise ? 1 : this.filters);
    return {
      shape: this.depthwise ? [k, k, cin, 1] : [k, k, cin, this.filters],
      initializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOut), seed: this.seed }),
    };
  }

  /** PyTorch's output size along one spatial axis. */
  override outputSize(size: number): number {
    return Math.floor((size + 2 * this.padding - this.kernelSize) / this.strides) + 1;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const s = this.strides;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const bias = this.bias?.read() as tf.Tensor1D | undefined;
      if (this.depthwise) {
        const y = tf.depthwiseConv2d(x, kernel, [s, s], this.padding as never);
        return bias ? tf.add(y, bias) : y;
      }
      return tf.fused.conv2d({ x, filter: kernel, strides: [s, s], pad: this.padding as never, bias });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depthwise: this.depthwise };
  }
}
tf.serialization.registerClass(Conv2d, 'hrnet');
