import * as tf from '@tensorflow/tfjs';
import { basicBlock, bn, ConvTranspose2d, relu, type Sym } from '@hrnet/core';

/** `_get_deconv_cfg`: (padding, output_padding) per kernel so that a stride-2 deconv exactly doubles H and W. */
export const DECONV_PADDING: Readonly<Record<2 | 3 | 4, { padding: number; outputPadding: number }>> = {
  4: { padding: 1, outputPadding: 0 },
  3: { padding: 1, outputPadding: 1 },
  2: { padding: 0, outputPadding: 0 },
};

export interface DeconvStageArgs {
  /** Index i of `deconv_layers.i`. */
  index: number;
  channels: number;
  kernel: 2 | 3 | 4;
  numBasicBlocks: number;
  /** CAT_OUTPUT[i]: concatenate the previous output's predictions to the features first. */
  catOutput: boolean;
}

/**
 * `deconv_layers[i]` with the concat in front of it (PoseHigherResolutionNet.forward): x = cat([features,
 * predictions], channels) when CAT_OUTPUT[i]; then ConvTranspose2d (stride 2, no bias) + BN + ReLU
 * (`deconv_layers.i.0.{0,1,2}`) and NUM_BASIC_BLOCKS BasicBlocks (`deconv_layers.i.{1..n}.0`), at twice the
 * resolution.
 */
export function deconvStage(features: Sym, predictions: Sym, args: DeconvStageArgs): Sym {
  const { index, channels, kernel, numBasicBlocks, catOutput } = args;
  const prefix = `deconv_layers.${index}`;
  let x = catOutput ? (tf.layers.concatenate({ axis: -1, name: `${prefix}.cat` }).apply([features, predictions]) as Sym) : features;
  const up = new ConvTranspose2d({ name: `${prefix}.0.0`, filters: channels, kernelSize: kernel, strides: 2, ...DECONV_PADDING[kernel] });
  x = relu(bn(up.apply(x) as Sym, `${prefix}.0.1`), `${prefix}.0.2`);
  for (let b = 0; b < numBasicBlocks; b++) x = basicBlock(x, { name: `${prefix}.${b + 1}.0`, planes: channels });
  return x;
}
