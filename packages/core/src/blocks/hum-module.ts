import * as tf from '@tensorflow/tfjs';
import { add, channelsOf, relu, type Sym } from '../layers/functional.js';
import { BatchNorm2d } from '../layers/batch-norm-2d.js';
import { Conv2d } from '../layers/conv2d.js';
import { depthwiseSeparable, sequentialNames } from './depthwise-separable.js';
import { humBlock } from './hum-block.js';

export interface HumModuleArgs {
  /** Module path, e.g. `stage1.3`. */
  name: string;
  numBlocks: number;
  reduceRatio: number;
  withFuse: boolean;
}

/**
 * Fuse path from branch j to output i (`fuse_layers.i.j`), as a function so its layers can be applied twice:
 * j > i: 1×1 conv → BN → nearest ×2^(j−i) (`.0 .1 .2`); j < i: (i − j) steps of dw3×3/2 → BN → 1×1 → BN,
 * ReLU after all but the last, the last one changing the width (`.k.0 … .k.4`).
 */
function fusePath(i: number, j: number, widths: number[], prefix: string): (x: Sym) => Sym {
  if (j > i) {
    const conv = new Conv2d({ name: `${prefix}.0`, filters: widths[i], kernelSize: 1 });
    const norm = new BatchNorm2d({ name: `${prefix}.1` });
    const up = tf.layers.upSampling2d({ name: `${prefix}.2`, size: [2 ** (j - i), 2 ** (j - i)], interpolation: 'nearest' });
    return (x) => up.apply(norm.apply(conv.apply(x))) as Sym;
  }
  const steps = Array.from({ length: i - j }, (_, k) => {
    const last = k === i - j - 1;
    return depthwiseSeparable(widths[j], { out: last ? widths[i] : widths[j], stride: 2, relu: !last }, sequentialNames(`${prefix}.${k}`));
  });
  return (x) => steps.reduce((h, step) => step(h), x);
}

/**
 * `HF_HRModule`: `numBlocks` HUM blocks (`layers.k`), then the official fuse loop, quirk included. That loop
 * starts from `y = out[0]` (i = 0) or `y = T_i0(out[0])` (i > 0) and then adds every j, j = 0 included, in
 * place. So branch 0 is counted twice, and the in-place sum for i = 0 overwrites `out[0]`, which every later
 * output reads through T_i0:
 *   F0 = o0 + o0 + Σ_{j≥1} T_0j(o_j),  y_0 = ReLU(F0)
 *   y_i = ReLU(T_i0(F0) + T_i0(F0) + Σ_{j≥1} (j = i ? o_i : T_ij(o_j)))
 * T_i0 is applied twice, as there, so in training its BatchNorms update their running statistics twice.
 * Sums run left to right in the official order. Output names `fuse_sum.i` (pre-ReLU) and `fuse_act.i`.
 */
export function humModule(xs: Sym[], { name, numBlocks, reduceRatio, withFuse }: HumModuleArgs): Sym[] {
  let ys = xs;
  for (let b = 0; b < numBlocks; b++) ys = humBlock(ys, { name: `${name}.layers.${b}`, reduceRatio });
  if (!withFuse) return ys;
  const widths = ys.map(channelsOf);
  const path = (i: number, j: number) => fusePath(i, j, widths, `${name}.fuse_layers.${i}.${j}`);
  const rest = (i: number) => ys.slice(1).map((o, k) => (k + 1 === i ? o : path(i, k + 1)(o)));
  const f0 = add([ys[0], ys[0], ...rest(0)], `${name}.fuse_sum.0`);
  const out = [relu(f0, `${name}.fuse_act.0`)];
  for (let i = 1; i < ys.length; i++) {
    const t = path(i, 0);
    out.push(relu(add([t(f0), t(f0), ...rest(i)], `${name}.fuse_sum.${i}`), `${name}.fuse_act.${i}`));
  }
  return out;
}
