import { add, bn, conv, convBnSeq, relu, resizeBilinearTo, upsampleNearest, type Sym } from '../layers/functional.js';
import { BLOCKS, residualLayer, type BlockType } from './residual-layer.js';

/**
 * How a fuse layer brings a lower-resolution branch up: nearest ×2^(j−i) (timm, cls_hrnet, HigherHRNet), or
 * seg_hrnet's bilinear `F.interpolate` to the exact size of the target branch with its `align_corners`.
 */
export type FuseUpsample = { mode: 'nearest' } | { mode: 'bilinear'; alignCorners: boolean };

export interface HighResolutionModuleArgs {
  /** Module path, e.g. `stage3.2`. */
  name: string;
  blockType: BlockType;
  numBlocks: number[];
  numChannels: number[];
  /** false: only the highest-resolution output is fused and returned (HigherHRNet's last module). */
  multiScaleOutput?: boolean;
  /** Default nearest. */
  fuseUpsample?: FuseUpsample;
}

/**
 * Path from branch j to output i of the fuse layer (`fuse_layers.i.j`):
 * lower resolution → 1x1 conv+BN then upsampling to branch i (`target`); higher resolution → (i-j) stride-2
 * 3x3 conv+BN steps, ReLU between steps but not after the last.
 */
function fusePath(x: Sym, i: number, j: number, widths: number[], name: string, target: Sym, up: FuseUpsample): Sym {
  const prefix = `${name}.fuse_layers.${i}.${j}`;
  if (j > i) {
    const y = bn(conv(x, `${prefix}.0`, { filters: widths[i], kernelSize: 1 }), `${prefix}.1`);
    if (up.mode === 'bilinear') return resizeBilinearTo(y, target, `${prefix}.2`, up.alignCorners);
    return upsampleNearest(y, 2 ** (j - i), `${prefix}.2`);
  }
  for (let k = 0; k < i - j; k++) {
    const lastStep = k === i - j - 1;
    x = convBnSeq(x, `${prefix}.${k}`, { filters: lastStep ? widths[i] : widths[j], kernelSize: 3, strides: 2 }, { relu: !lastStep });
  }
  return x;
}

/** HRNet's HighResolutionModule: parallel residual branches, then every output sums all branches (SUM fuse) + ReLU. */
export function highResolutionModule(xs: Sym[], args: HighResolutionModuleArgs): Sym[] {
  const { name, blockType, numBlocks, numChannels, multiScaleOutput = true, fuseUpsample = { mode: 'nearest' } } = args;
  const n = xs.length;
  const widths = numChannels.map((c) => c * BLOCKS[blockType].expansion);
  const branches = xs.map((x, i) => residualLayer(x, `${name}.branches.${i}`, blockType, numChannels[i], numBlocks[i]));
  if (n === 1) return branches;
  const outputs = multiScaleOutput ? n : 1;
  const fused: Sym[] = [];
  for (let i = 0; i < outputs; i++) {
    const terms = branches.map((x, j) => (j === i ? x : fusePath(x, i, j, widths, name, branches[i], fuseUpsample)));
    fused.push(relu(add(terms, `${name}.fuse_sum.${i}`), `${name}.fuse_act.${i}`));
  }
  return fused;
}
