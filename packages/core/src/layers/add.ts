import * as tf from '@tensorflow/tfjs';

/** Left to right, as PyTorch's `y = y + t`, so rounding matches. */
function sumLeftToRight(xs: tf.Tensor[]): tf.Tensor {
  let y = xs[0];
  for (let i = 1; i < xs.length; i++) y = tf.add(y, xs[i]);
  return y;
}

/**
 * The sum of same-shape tensors as one op whose backward pass keeps nothing: each input's gradient is dy
 * itself. Why not `tf.add` under autodiff: tfjs's Add keeps both inputs until the backward pass ends, only
 * to read their shapes for broadcasting — in HRNet that is one full-size tensor per residual block and one
 * per upsampled term of every fuse sum.
 */
const sumKeepingNothing = tf.customGrad((...args: unknown[]) => {
  const xs = args.slice(0, -1) as tf.Tensor[];
  const shapes = xs.map((x) => x.shape);
  return {
    value: sumLeftToRight(xs),
    // A reshape per input: each gradient must be its own tensor (the backward pass frees them one by one).
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => shapes.map((s) => tf.reshape(dy as tf.Tensor, s)),
  };
}) as (...xs: tf.Tensor[]) => tf.Tensor;

/** `tf.layers.add` for same-shape inputs with the memory-light backward pass above. */
export class Add extends tf.layers.Layer {
  // Not 'Add': tfjs's serialization map is keyed by the bare class name and has its own Add layer.
  static className = 'HrnetAdd';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    for (const s of shapes) {
      if (s.length !== shapes[0].length || s.some((d, i) => d != null && shapes[0][i] != null && d !== shapes[0][i])) {
        throw new Error(`Add '${this.name}': inputs must have one shape, got ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')}`);
      }
    }
    return shapes[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    if (xs.length === 1) return xs[0];
    return kwargs?.training ? sumKeepingNothing(...xs) : sumLeftToRight(xs);
  }
}
tf.serialization.registerClass(Add, 'hrnet');
