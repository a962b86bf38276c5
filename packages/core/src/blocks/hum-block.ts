import { add, bn, channelsOf, conv, relu, type Sym } from '../layers/functional.js';
import { crossResolutionWeighting } from './cross-resolution-weighting.js';
import { pooledContext } from './hum-context.js';

export interface HumBlockArgs {
  /** Module path of the block, e.g. `stage1.0.layers.1`; '' names its layers from the block's root. */
  name: string;
  /** `reduce_ratio` of the cross-resolution weighting. */
  reduceRatio: number;
}

/**
 * One HUM block (the official `CADBlock`, stride 1) over all branches at once. Per branch i, after the
 * cross-resolution weighting z = x_i · w_i:
 * `z = ReLU(BN(dw3×3(z)))` (`depthwise_convsfirst.i`), `z = ctx(z) + z` (`global1.i`, `up1.i`),
 * `z = BN(dw3×3(z))` (`depthwise_convslast.i`), `out = (ctx(z) + z) + x_i` (`global2.i`, `up2.i`);
 * no activation at the end. ctx = {@link pooledContext} without ReLU. Every branch needs even H and W.
 */
export function humBlock(xs: Sym[], { name, reduceRatio }: HumBlockArgs): Sym[] {
  const p = (part: string) => (name ? `${name}.${part}` : part);
  const weighted = crossResolutionWeighting(xs, p('cross_resolution_weighting'), reduceRatio);
  return weighted.map((z, i) => {
    const c = channelsOf(z);
    const dw = { filters: c, kernelSize: 3, depthwise: true };
    z = relu(bn(conv(z, p(`depthwise_convsfirst.${i}.conv`), dw), p(`depthwise_convsfirst.${i}.bn`)), p(`depthwise_convsfirst.${i}.relu`));
    z = add([pooledContext(z, p(`global1.${i}`), p(`up1.${i}`), { relu: false }), z], p(`sum1.${i}`));
    z = bn(conv(z, p(`depthwise_convslast.${i}.conv`), dw), p(`depthwise_convslast.${i}.bn`));
    return add([pooledContext(z, p(`global2.${i}`), p(`up2.${i}`), { relu: false }), z, xs[i]], p(`sum2.${i}`));
  });
}
