import * as tf from '@tensorflow/tfjs';
import { AvgPool2d } from '../layers/avg-pool-2d.js';
import { bn, channelsOf, conv, relu, upsampleNearest, type Sym } from '../layers/functional.js';
import { SplitChannels } from '../layers/split-channels.js';

/**
 * Lite-HRNet / HF-HRNet `CrossResolutionWeighting` on branches whose sizes halve from one to the next:
 * every branch is average-pooled to the last (smallest) branch's size (`adaptive_avg_pool2d` with an exact
 * 2^k ratio: non-overlapping k×k means), all are concatenated, `ConvModule 1×1 Σ→int(Σ/r)` + BN + ReLU
 * (`conv1`), `ConvModule 1×1 →Σ` + BN + Sigmoid (`conv2`); the result is split back per branch,
 * nearest-upsampled to each branch's size and multiplies it.
 */
export function crossResolutionWeighting(xs: Sym[], name: string, reduceRatio: number): Sym[] {
  const n = xs.length;
  const widths = xs.map(channelsOf);
  const total = widths.reduce((a, b) => a + b, 0);
  const pooled = xs.map((x, i) => {
    const k = 2 ** (n - 1 - i);
    return k === 1 ? x : (new AvgPool2d({ name: `${name}.pool.${i}`, kernelSize: k }).apply(x) as Sym);
  });
  let w = n === 1 ? pooled[0] : (tf.layers.concatenate({ axis: -1, name: `${name}.cat` }).apply(pooled) as Sym);
  w = relu(bn(conv(w, `${name}.conv1.conv`, { filters: Math.trunc(total / reduceRatio), kernelSize: 1 }), `${name}.conv1.bn`), `${name}.conv1.activate`);
  w = bn(conv(w, `${name}.conv2.conv`, { filters: total, kernelSize: 1 }), `${name}.conv2.bn`);
  w = tf.layers.activation({ activation: 'sigmoid', name: `${name}.conv2.activate` }).apply(w) as Sym;
  const parts = n === 1 ? [w] : (new SplitChannels({ name: `${name}.split`, sizes: widths }).apply(w) as Sym[]);
  return xs.map((x, i) => {
    const k = 2 ** (n - 1 - i);
    const wi = k === 1 ? parts[i] : upsampleNearest(parts[i], k, `${name}.up.${i}`);
    return tf.layers.multiply({ name: `${name}.mul.${i}` }).apply([x, wi]) as Sym;
  });
}
