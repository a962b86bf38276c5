import { channelsOf, convBnSeq, type Sym } from '../layers/functional.js';

/** Which previous branch a width-changing transition of an existing branch reads (see {@link transition}). */
export type TransitionSource = 'last' | 'own';

/**
 * timm `_make_transition_layer` applied to a stage's outputs `ys`: keeps branches whose width is unchanged,
 * re-projects the others (3x3 conv+BN+ReLU, `${name}.i.0/.1`), and opens one new lower-resolution branch
 * with a stride-2 3x3 conv+BN+ReLU (`${name}.i.0.0/.0.1`).
 * `from`: timm and cls_hrnet ('last') apply every non-identity transition to the last branch, `ys[-1]`;
 * seg_hrnet ('own') re-projects an existing branch from itself, `ys[i]` (equal for every published cfg,
 * where no existing branch changes width).
 */
export function transition(ys: Sym[], widths: number[], name: string, from: TransitionSource = 'last'): Sym[] {
  const last = ys[ys.length - 1];
  return widths.map((w, i) => {
    if (i < ys.length) {
      if (channelsOf(ys[i]) === w) return ys[i];
      return convBnSeq(from === 'own' ? ys[i] : last, `${name}.${i}`, { filters: w, kernelSize: 3 }, { relu: true });
    }
    return convBnSeq(last, `${name}.${i}.0`, { filters: w, kernelSize: 3, strides: 2 }, { relu: true });
  });
}
