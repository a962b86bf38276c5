import * as tf from '@tensorflow/tfjs';

export interface SplitChannelsArgs {
  name?: string;
  /** Channels of each output, in order; they must add up to the input's channels. */
  sizes: number[];
}

/** `torch.split(x, sizes, dim=1)` on NHWC tensors: one output per entry of `sizes` (tfjs has no split layer). */
export class SplitChannels extends tf.layers.Layer {
  static className = 'SplitChannels';
  readonly sizes: number[];

  constructor(args: SplitChannelsArgs) {
    super(args as never);
    this.sizes = [...args.sizes];
    if (this.sizes.length === 0 || this.sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new Error(`SplitChannels '${this.name}': sizes must be positive integers, got [${this.sizes.join(', ')}]`);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const total = this.sizes.reduce((a, b) => a + b, 0);
    if (s[3] != null && s[3] !== total) {
      throw new Error(`SplitChannels '${this.name}': sizes add up to ${total}, the input has ${s[3]} channels`);
    }
    return this.sizes.map((c) => [s[0], s[1], s[2], c]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.split(x, this.sizes, -1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), sizes: [...this.sizes] };
  }
}
tf.serialization.registerClass(SplitChannels, 'hrnet');
