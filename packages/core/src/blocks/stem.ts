import { bn, conv, relu, type Sym } from '../layers/functional.js';

/** Two stride-2 3x3 conv+BN+ReLU: 1/4 resolution, 64 channels (`conv1 bn1 conv2 bn2`). */
export function hrnetStem(x: Sym, stemWidth: number): Sym {
  const h = relu(bn(conv(x, 'conv1', { filters: stemWidth, kernelSize: 3, strides: 2 }), 'bn1'), 'act1');
  return relu(bn(conv(h, 'conv2', { filters: 64, kernelSize: 3, strides: 2 }), 'bn2'), 'act2');
}
