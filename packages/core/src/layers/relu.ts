import * as tf from '@tensorflow/tfjs';

/**
 * ReLU whose backward pass keeps its *output* instead of its input (relu(x) > 0 exactly where x > 0,
 * so the gradient is the same). Why: the output is what the next convolution keeps anyway (the same
 * buffer), while tfjs's Relu keeps its input — the BatchNorm output, a full-size tensor nobody else
 * needs. One activation less per conv–BN–ReLU during training.
 */
const reluKeepingOutput = tf.customGrad((...args: unknown[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const y = tf.relu(x);
  save([y]);
  return {
    value: y,
    // The registered Relu gradient (dy·step(x), one native pass where @hrnet/backend-native installed
    // its own), given the output in place of the input.
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [out]: tf.Tensor[]) => (tf.getGradient('Relu')!.gradFunc(dy, [out], {}) as { x: () => tf.Tensor }).x(),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * `torch.nn.ReLU` as a layer; in inference it is plain `tf.relu`. Registered as 'HrnetReLU': tfjs's
 * serialization map is keyed by the bare class name, so 'ReLU' would replace tfjs's own layer.
 */
export class ReLU extends tf.layers.Layer {
  static className = 'HrnetReLU';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return kwargs?.training ? reluKeepingOutput(x) : tf.relu(x);
  }
}
tf.serialization.registerClass(ReLU, 'hrnet');
