import { add, bn, conv, relu, type Sym } from '../layers/functional.js';
import { shortcut, type BlockArgs } from './basic-block.js';

export const BOTTLENECK_EXPANSION = 4;

/** ResNet Bottleneck (expansion 4): 1x1 → 3x3 (stride) → 1x1 conv+BN, residual add, ReLU. */
export function bottleneck(x: Sym, { name, planes, stride = 1 }: BlockArgs): Sym {
  const out = planes * BOTTLENECK_EXPANSION;
  let h = relu(bn(conv(x, `${name}.conv1`, { filters: planes, kernelSize: 1 }), `${name}.bn1`), `${name}.act1`);
  h = relu(bn(conv(h, `${name}.conv2`, { filters: planes, kernelSize: 3, strides: stride }), `${name}.bn2`), `${name}.act2`);
  h = bn(conv(h, `${name}.conv3`, { filters: out, kernelSize: 1 }), `${name}.bn3`);
  return relu(add([h, shortcut(x, name, out, stride)], `${name}.add`), `${name}.act3`);
}
