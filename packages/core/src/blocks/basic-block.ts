import { add, bn, channelsOf, conv, relu, type Sym } from '../layers/functional.js';

export interface BlockArgs {
  /** PyTorch module path of the block, e.g. `stage2.0.branches.1.3`. */
  name: string;
  planes: number;
  stride?: number;
}

/** Shortcut of a residual block: identity, or 1x1 conv + BN (`downsample.0/.1`) when the shape changes. */
export function shortcut(x: Sym, name: string, outChannels: number, stride: number): Sym {
  if (stride === 1 && channelsOf(x) === outChannels) return x;
  return bn(conv(x, `${name}.downsample.0`, { filters: outChannels, kernelSize: 1, strides: stride }), `${name}.downsample.1`);
}

/** ResNet BasicBlock (expansion 1): two 3x3 conv+BN, residual add, ReLU. */
export function basicBlock(x: Sym, { name, planes, stride = 1 }: BlockArgs): Sym {
  let h = relu(bn(conv(x, `${name}.conv1`, { filters: planes, kernelSize: 3, strides: stride }), `${name}.bn1`), `${name}.act1`);
  h = bn(conv(h, `${name}.conv2`, { filters: planes, kernelSize: 3 }), `${name}.bn2`);
  return relu(add([h, shortcut(x, name, planes, stride)], `${name}.add`), `${name}.act2`);
}
