import { channelsOf, type Sym } from '../layers/functional.js';
import { depthwiseSeparable, sequentialNames } from './depthwise-separable.js';

/**
 * HF-HRNet `_make_transition_layer` applied to the previous stage's outputs `ys`: a branch whose width is
 * unchanged passes through; a width change is dw3×3 → BN → 1×1 → BN → ReLU on that same branch
 * (`${name}.i.0…4`); each new branch i steps down from the last previous branch with (i + 1 − len(ys))
 * stride-2 such steps (`${name}.i.j.0…4`), the last one changing the width.
 */
export function humTransition(ys: Sym[], widths: number[], name: string): Sym[] {
  const pre = ys.length;
  return widths.map((w, i) => {
    if (i < pre) {
      const c = channelsOf(ys[i]);
      return c === w ? ys[i] : depthwiseSeparable(c, { out: w, stride: 1, relu: true }, sequentialNames(`${name}.${i}`))(ys[i]);
    }
    let h = ys[pre - 1];
    for (let j = 0; j <= i - pre; j++) {
      const c = channelsOf(h);
      h = depthwiseSeparable(c, { out: j === i - pre ? w : c, stride: 2, relu: true }, sequentialNames(`${name}.${i}.${j}`))(h);
    }
    return h;
  });
}
