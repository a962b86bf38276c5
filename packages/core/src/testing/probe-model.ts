import * as tf from '@tensorflow/tfjs';

/**
 * A model sharing `model`'s weights whose outputs are the named layers' outputs: how the parity tests
 * read intermediate activations (stem, stage branches, head stages) without a second implementation.
 */
export function probeModel(model: tf.LayersModel, layerNames: string[]): tf.LayersModel {
  const outputs = layerNames.map((n) => {
    const out = model.getLayer(n).output;
    if (Array.isArray(out)) throw new Error(`layer '${n}' has several outputs`);
    return out;
  });
  return tf.model({ inputs: model.inputs, outputs });
}
