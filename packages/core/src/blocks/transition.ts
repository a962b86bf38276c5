import { channelsOf, convBnSeq, type Sym } from '../layers/functional.js';

/**
 * timm `_make_transition_layer` applied to a stage's outputs `ys`: keeps branches whose width is unchanged,
 * re-projects the others (3x3 conv+BN+ReLU, `${name}.i.0/.1`), and opens one new lower-resolution branch
 * with a stride-2 3x3 conv+BN+ReLU (`${name}.i.0.0/.0.1`).
 * Like timm and cls_hrnet (not seg_hrnet), every non-identity transition reads the last branch, `ys[-1]`.
 */
export function transition(ys: Sym[], widths: number[], name: string): Sym[] {
  const last = ys[ys.length - 1];
  return widths.map((w, i) => {
    if (i < ys.length) {
      if (channelsOf(ys[i]) === w) return ys[i];
      return convBnSeq(last, `${name}.${i}`, { filters: w, kernelSize: 3 }, { relu: true });
    }
    return convBnSeq(last, `${name}.${i}.0`, { filters: w, kernelSize: 3, strides: 2 }, { relu: true });
  });
}
