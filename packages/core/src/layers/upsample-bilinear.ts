import * as tf from '@tensorflow/tfjs';
import { torchResizeBilinear } from './resize-bilinear.js';

/** Options of {@link UpsampleBilinear}. */
export interface UpsampleBilinearArgs {
  name?: string;
  /** Integer scale: the output is `factor` times the input along H and W. */
  factor: number;
  /** PyTorch's `align_corners`: true maps corner pixels onto corner pixels; false is the half-pixel convention. */
  alignCorners: boolean;
}

/**
 * `F.interpolate(x, size=(factor·H, factor·W), mode='bilinear', align_corners=…)` on NHWC tensors.
 *
 * A fixed factor known when the graph is built ({@link ResizeBilinear} resizes to another tensor's size).
 * Why not `tf.layers.upSampling2d({ interpolation: 'bilinear' })`: it always uses tfjs's legacy
 * convention (neither align_corners nor half-pixel centres), which matches neither PyTorch setting.
 */
export class UpsampleBilinear extends tf.layers.Layer {
  static className = 'UpsampleBilinear';
  readonly factor: number;
  readonly alignCorners: boolean;

  constructor(args: UpsampleBilinearArgs) {
    super(args as never);
    this.factor = args.factor;
    this.alignCorners = args.alignCorners;
    if (!Number.isInteger(this.factor) || this.factor < 1) {
      throw new Error(`UpsampleBilinear '${this.name}': factor must be a positive integer, got ${this.factor}`);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (size: number | null) => (size == null ? null : size * this.factor);
    return [s[0], out(s[1]), out(s[2]), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const [, h, w] = x.shape;
    return torchResizeBilinear(x, [h * this.factor, w * this.factor], this.alignCorners);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: this.factor, alignCorners: this.alignCorners };
  }
}
tf.serialization.registerClass(UpsampleBilinear, 'hrnet');
