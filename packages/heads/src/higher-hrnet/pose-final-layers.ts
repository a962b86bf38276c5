import { conv, type Sym } from '@hrnet/core';

/**
 * `final_layers[i]` of PoseHigherResolutionNet: one conv with bias, kernel FINAL_CONV_KERNEL (1 → padding 0,
 * 3 → padding 1, so the size is kept), to NUM_JOINTS heatmaps, followed by the tag maps when that output
 * carries the associative-embedding loss (NUM_JOINTS tags with TAG_PER_JOINT, else 1).
 */
export function poseFinalLayer(x: Sym, index: number, opts: { numJoints: number; tagDim: number; withTags: boolean; kernel: 1 | 3 }): Sym {
  const filters = opts.numJoints + (opts.withTags ? opts.tagDim : 0);
  return conv(x, `final_layers.${index}`, { filters, kernelSize: opts.kernel, padding: opts.kernel === 3 ? 1 : 0, useBias: true });
}
