import { add, bn, conv, convBnSeq, relu, type Sym } from '../layers/functional.js';
import { pooledContext } from './hum-context.js';

export interface HumStemArgs {
  stem_channels: number;
  out_channels: number;
}

/**
 * HF-HRNet's `Stem`: `conv1` = ConvModule 3×3/2 + BN + ReLU, then `conv2` = `CADBlock_downsample` to 1/4:
 * a = ReLU(BN(1×1(u))) → ReLU(BN(dw3×3(a))) → + ctx(a) → BN(dw3×3/2(a)); out = (ctx(a) + a) + d with the
 * shortcut d = BN(1×1(BN(dw3×3/2(u)))) (`dwonsample`, spelled so in the official code). ctx is
 * {@link pooledContext} with ReLU. No activation at the end.
 */
export function humStem(x: Sym, { stem_channels: stemChannels, out_channels: out }: HumStemArgs): Sym {
  const u = relu(bn(conv(x, 'stem.conv1.conv', { filters: stemChannels, kernelSize: 3, strides: 2 }), 'stem.conv1.bn'), 'stem.conv1.activate');
  const n = 'stem.conv2';
  let d = convBnSeq(u, `${n}.dwonsample`, { filters: stemChannels, kernelSize: 3, strides: 2, depthwise: true }, { relu: false });
  d = convBnSeq(d, `${n}.dwonsample`, { filters: out, kernelSize: 1 }, { relu: false, first: 2 });
  let a = convBnSeq(u, `${n}.conv1`, { filters: out, kernelSize: 1 }, { relu: true });
  a = convBnSeq(a, `${n}.conv2`, { filters: out, kernelSize: 3, depthwise: true }, { relu: true });
  a = add([pooledContext(a, `${n}.global1`, `${n}.up1`, { relu: true }), a], `${n}.sum1`);
  a = convBnSeq(a, `${n}.conv3`, { filters: out, kernelSize: 3, strides: 2, depthwise: true }, { relu: false });
  return add([pooledContext(a, `${n}.global2`, `${n}.up2`, { relu: true }), a, d], `${n}.sum2`);
}
