import * as tf from '@tensorflow/tfjs';

/** Options of {@link Conv2d}; mirrors `torch.nn.Conv2d` (square kernels, symmetric zero padding). */
export interface Conv2dArgs {
  name?: string;
  trainable?: boolean;
  filters: number;
  kernelSize: number;
  strides?: number;
  /** Zero padding on every side, as PyTorch's `padding=`; defaults to (kernelSize - 1) / 2. */
  padding?: number;
  useBias?: boolean;
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
export class Conv2d extends tf.layers.Layer {
  static className = 'Conv2d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;
  readonly useBias: boolean;
  readonly depthwise: boolean;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: Conv2dArgs) {
    super(args as never);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? (args.kernelSize - 1) / 2;
    this.useBias = args.useBias ?? false;
    this.depthwise = args.depthwise ?? false;
    if (!Number.isInteger(this.padding)) {
      throw new Error(`Conv2d '${this.name}': padding must be an integer, got ${this.padding}`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const cin = shape[shape.length - 1];
    if (cin == null) throw new Error(`Conv2d '${this.name}': the channel dimension must be known`);
    if (this.depthwise && cin !== this.filters) {
      throw new Error(`Conv2d '${this.name}': depthwise needs in == out channels, got ${cin} -> ${this.filters}`);
    }
    const k = this.kernelSize;
    const kernelShape = this.depthwise ? [k, k, cin, 1] : [k, k, cin, this.filters];
    // timm initialises HRNet convs with kaiming_normal_(mode='fan_out', nonlinearity='relu').
    const fanOut = k * k * (this.depthwise ? 1 : this.filters);
    this.kernel = this.addWeight(
      'kernel',
      kernelShape,
      'float32',
      tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOut) }),
    );
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (size: number | null) =>
      size == null ? null : Math.floor((size + 2 * this.padding - this.kernelSize) / this.strides) + 1;
    return [shape[0], out(shape[1]), out(shape[2]), this.filters];
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
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      useBias: this.useBias,
      depthwise: this.depthwise,
    };
  }
}
tf.serialization.registerClass(Conv2d, 'hrnet');
