import type * as tf from '@tensorflow/tfjs';
import { Conv2d } from '../layers/conv2d.js';

/** A node's first input or output shape (tfjs gives a bare shape for one tensor, a list for several). */
const firstShape = (s: tf.Shape | tf.Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;

/**
 * Multiply-accumulates of one forward pass per image, counting Conv2d and Dense layers only (as the
 * reference counts: BN, activations, adds, resizes and pooling excluded). A layer applied more than once
 * (HF-HRNet's fuse paths from branch 0) counts once per application, as hooks on the PyTorch module do.
 * The model must have been built with a fixed input size (`inputShape: [H, W, 3]`). Training costs ~3x
 * this (forward + two backward convs).
 */
export function countMacs(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== Conv2d.className && cls !== 'Dense') continue;
    for (const node of layer.inboundNodes) {
      const outShape = firstShape(node.outputShapes);
      const inShape = firstShape(node.inputShapes);
      const cin = inShape[inShape.length - 1];
      if (outShape.slice(1).some((d) => d == null) || cin == null) {
        throw new Error(`countMacs: layer '${layer.name}' has an unknown size; build the model with a fixed inputShape`);
      }
      const outElems = (outShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
      if (layer instanceof Conv2d) {
        macs += outElems * layer.kernelSize * layer.kernelSize * (layer.depthwise ? 1 : cin);
      } else {
        macs += outElems * cin;
      }
    }
  }
  return macs;
}
