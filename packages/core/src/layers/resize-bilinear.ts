import * as tf from '@tensorflow/tfjs';

/**
 * PyTorch's `F.interpolate(x, size, mode='bilinear', align_corners)` on an NHWC tensor. `align_corners=False`
 * is tfjs's `halfPixelCenters` (negative source coordinates clamp to 0 in both); to the same size it is the
 * identity in both conventions, and PyTorch returns the values unchanged.
 */
export function torchResizeBilinear<T extends tf.Tensor3D | tf.Tensor4D>(x: T, size: [number, number], alignCorners: boolean): T {
  const [h, w] = x.rank === 4 ? [x.shape[1], x.shape[2]] : [x.shape[0], x.shape[1]];
  if (h === size[0] && w === size[1]) return x;
  return tf.image.resizeBilinear(x, size, alignCorners, !alignCorners);
}

export interface ResizeBilinearArgs {
  name?: string;
  /** PyTorch's `align_corners`: true maps corner pixels onto corner pixels; false is the half-pixel convention. */
  alignCorners: boolean;
}

/**
 * `F.interpolate(x, size=ref.shape[-2:], mode='bilinear', align_corners)` as a layer with inputs [x, ref]:
 * x is resized to ref's height and width, known only at call time (inputs of any size).
 * The output has x's channels; ref contributes only its size (and gets no gradient).
 */
export class ResizeBilinear extends tf.layers.Layer {
  static className = 'HrnetResizeBilinear';
  readonly alignCorners: boolean;

  constructor(args: ResizeBilinearArgs) {
    super(args as never);
    this.alignCorners = args.alignCorners;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [x, ref] = inputShape as tf.Shape[];
    if (x?.length !== 4 || ref?.length !== 4) throw new Error(`ResizeBilinear '${this.name}': needs two NHWC inputs [x, ref]`);
    return [x[0], ref[1], ref[2], x[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [x, ref] = inputs as tf.Tensor4D[];
    return torchResizeBilinear(x, [ref.shape[1], ref.shape[2]], this.alignCorners);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alignCorners: this.alignCorners };
  }
}
tf.serialization.registerClass(ResizeBilinear, 'hrnet');
