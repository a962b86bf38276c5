import * as tf from '@tensorflow/tfjs';

export interface ImageInputCheckArgs {
  name?: string;
  /** H and W must be multiples of this (32 for HRNet: four stride-2 steps, then exact ×2 upsampling). */
  divisor: number;
  channels: number;
}

/**
 * Identity layer that rejects inputs the network cannot handle with a message saying what was expected,
 * instead of a shape error deep inside a fuse layer. It also guards `model.apply`, which tfjs does not check.
 */
export class ImageInputCheck extends tf.layers.Layer {
  static className = 'ImageInputCheck';
  readonly divisor: number;
  readonly channels: number;

  constructor(args: ImageInputCheckArgs) {
    super(args as never);
    this.divisor = args.divisor;
    this.channels = args.channels;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [, h, w, c] = x.shape;
    if (x.rank !== 4 || c !== this.channels || h % this.divisor !== 0 || w % this.divisor !== 0) {
      throw new Error(
        `expected an NHWC float32 image batch [N, H, W, ${this.channels}]${this.divisor > 1 ? ` with H and W multiples of ${this.divisor}` : ''}, ` +
          `got shape [${x.shape.join(', ')}]`,
      );
    }
    return x;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), divisor: this.divisor, channels: this.channels };
  }
}
tf.serialization.registerClass(ImageInputCheck, 'hrnet');
