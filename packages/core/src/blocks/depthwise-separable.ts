import type * as tf from '@tensorflow/tfjs';
import { BatchNorm2d } from '../layers/batch-norm-2d.js';
import { Conv2d } from '../layers/conv2d.js';
import { ReLU } from '../layers/relu.js';
import type { Sym } from '../layers/functional.js';

/** Module names of the five layers of {@link depthwiseSeparable}. */
export interface DepthwiseSeparableNames {
  dwConv: string;
  dwBn: string;
  pwConv: string;
  pwBn: string;
  act: string;
}

/** Names inside an `nn.Sequential` (HF-HRNet transitions and fuse downsamples): `${prefix}.0` … `.4`. */
export const sequentialNames = (prefix: string): DepthwiseSeparableNames => ({
  dwConv: `${prefix}.0`,
  dwBn: `${prefix}.1`,
  pwConv: `${prefix}.2`,
  pwBn: `${prefix}.3`,
  act: `${prefix}.4`,
});

export interface DepthwiseSeparableArgs {
  out: number;
  stride: number;
  relu: boolean;
}

/**
 * `dw3×3(stride) → BN → conv1×1 → BN [→ ReLU]`, HF-HRNet's (and Lite-HRNet's) building step for
 * transitions, fuse downsamples and the IterativeHead. Returned as a function of its input so a caller can
 * apply the same layers (same weights, same BN statistics) more than once, as HF-HRNet's fuse loop does.
 */
export function depthwiseSeparable(cin: number, { out, stride, relu }: DepthwiseSeparableArgs, names: DepthwiseSeparableNames): (x: Sym) => Sym {
  const layers: tf.layers.Layer[] = [
    new Conv2d({ name: names.dwConv, filters: cin, kernelSize: 3, strides: stride, depthwise: true }),
    new BatchNorm2d({ name: names.dwBn }),
    new Conv2d({ name: names.pwConv, filters: out, kernelSize: 1 }),
    new BatchNorm2d({ name: names.pwBn }),
  ];
  if (relu) layers.push(new ReLU({ name: names.act }));
  return (x) => layers.reduce((h, l) => l.apply(h) as Sym, x);
}
