import { add, channelsOf, type Sym } from '../layers/functional.js';
import { UpsampleBilinear } from '../layers/upsample-bilinear.js';
import { depthwiseSeparable } from './depthwise-separable.js';

/**
 * Lite-HRNet / HF-HRNet `IterativeHead` on branches ordered highest resolution first: walking from the
 * lowest resolution up, each branch gets the previous result added (bilinear ×2, align_corners=True) and
 * then `dw3×3 → BN → 1×1 → BN → ReLU` (`projects.k.depthwise_conv.*`, `projects.k.pointwise_conv.*`,
 * k = 0 the lowest resolution) to the next branch's width (the last keeps its own). Returns the
 * highest-resolution result, the only output the backbone uses.
 */
export function iterativeHead(xs: Sym[], name: string): Sym {
  const rev = [...xs].reverse();
  let last: Sym | undefined;
  rev.forEach((s, k) => {
    if (last) {
      const up = new UpsampleBilinear({ name: `${name}.up.${k}`, factor: 2, alignCorners: true }).apply(last) as Sym;
      s = add([s, up], `${name}.sum.${k}`);
    }
    const p = `${name}.projects.${k}`;
    const out = channelsOf(rev[Math.min(k + 1, rev.length - 1)]);
    last = depthwiseSeparable(channelsOf(s), { out, stride: 1, relu: true }, {
      dwConv: `${p}.depthwise_conv.conv`,
      dwBn: `${p}.depthwise_conv.bn`,
      pwConv: `${p}.pointwise_conv.conv`,
      pwBn: `${p}.pointwise_conv.bn`,
      act: `${p}.pointwise_conv.activate`,
    })(s);
  });
  return last!;
}
