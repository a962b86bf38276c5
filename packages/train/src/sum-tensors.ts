import * as tf from '@tensorflow/tfjs';

/** tf.addN inputs per call: webgpu binds one storage buffer per input, and a shader stage may have 8 (one is the output). */
const ADD_N_INPUTS = 7;

/**
 * The sum of many tensors of one shape (per-variable sums of a probe or a norm), as `tf.addN` in a tree of
 * at most {@link ADD_N_INPUTS} inputs per call: one `tf.addN` over every variable of a model is an invalid
 * pipeline on webgpu (Dawn: 161 storage buffers against a limit of 8), and the step would go on with
 * whatever the failed command left. Call inside `tf.tidy`. Zero for no tensors.
 */
export function sumTensors(ts: readonly tf.Tensor[]): tf.Tensor {
  if (ts.length === 0) return tf.scalar(0);
  let level = [...ts];
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += ADD_N_INPUTS) {
      const group = level.slice(i, i + ADD_N_INPUTS);
      next.push(group.length === 1 ? group[0] : tf.addN(group));
    }
    level = next;
  }
  return level[0];
}
