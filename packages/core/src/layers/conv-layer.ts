import * as tf from '@tensorflow/tfjs';
import { layerSeed } from '../utils/init-seed.js';

/** Options {@link Conv2d} and {@link ConvTranspose2d} share: PyTorch's names, a square kernel. */
export interface ConvLayerArgs {
  name?: string;
  trainable?: boolean;
  filters: number;
  kernelSize: number;
  strides?: number;
  /** PyTorch's `padding=`, the same on every side. */
  padding?: number;
  /** Default false (the layer is usually followed by a BatchNorm). */
  useBias?: boolean;
  /** Seed of the kernel's initial values. Default: {@link layerSeed} of the name (the model's seed and the name). */
  seed?: number;
}

/** The kernel weight a subclass asks for; tfjs does not export its `Initializer` type by name. */
export interface KernelSpec {
  shape: number[];
  initializer: ReturnType<typeof tf.initializers.zeros>;
}

/** The first input's shape (a layer may be called with a list). */
const firstShape = (inputShape: tf.Shape | tf.Shape[]) => (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;

/**
 * What a convolution layer with PyTorch's semantics holds whichever convolution it runs: the options, the
 * `kernel` and optional `bias` weights (names that saved models and the PyTorch weight maps rely on), the
 * NHWC output shape from a per-axis size rule, and the shared config keys. Subclasses give the kernel's shape
 * and initialiser, the size rule and the op.
 */
export abstract class ConvLayer extends tf.layers.Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;
  readonly useBias: boolean;
  /** Seed of the kernel's initializer (fixed at construction, so a later build draws the same values). */
  protected readonly seed: number;
  protected kernel?: tf.LayerVariable;
  protected bias?: tf.LayerVariable;

  protected constructor(args: ConvLayerArgs, defaultPadding: number) {
    super(args as never);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? defaultPadding;
    this.useBias = args.useBias ?? false;
    this.seed = args.seed ?? layerSeed(this.name);
  }

  /** An error naming the layer: `<className> '<name>': <message>`. */
  protected error(message: string): Error {
    return new Error(`${this.getClassName()} '${this.name}': ${message}`);
  }

  /** The kernel's shape and initialiser for `cin` input channels. */
  protected abstract kernelFor(cin: number): KernelSpec;

  /** The output size along one spatial axis for an input of `size`. */
  abstract outputSize(size: number): number;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = firstShape(inputShape);
    const cin = shape[shape.length - 1];
    if (cin == null) throw this.error('the channel dimension must be known');
    const { shape: kernelShape, initializer } = this.kernelFor(cin);
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', initializer);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = firstShape(inputShape);
    const out = (size: number | null) => (size == null ? null : this.outputSize(size));
    return [shape[0], out(shape[1]), out(shape[2]), this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      useBias: this.useBias,
    };
  }
}
