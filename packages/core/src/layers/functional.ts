import * as tf from '@tensorflow/tfjs';
import { Add } from './add.js';
import { BatchNorm2d } from './batch-norm-2d.js';
import { Conv2d, type Conv2dArgs } from './conv2d.js';
import { ReLU } from './relu.js';
import { ResizeBilinear } from './resize-bilinear.js';

/**
 * Thin functional wrappers over the leaf layers, so blocks read like the PyTorch forward they mirror.
 * Every layer is named after its PyTorch module path; that name is what weight loading maps on.
 */
export type Sym = tf.SymbolicTensor;

export function channelsOf(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c == null) throw new Error(`tensor '${x.name}' has an unknown channel dimension`);
  return c;
}

export function conv(x: Sym, name: string, args: Omit<Conv2dArgs, 'name'>): Sym {
  return new Conv2d({ ...args, name }).apply(x) as Sym;
}

export function bn(x: Sym, name: string): Sym {
  return new BatchNorm2d({ name }).apply(x) as Sym;
}

export function relu(x: Sym, name: string): Sym {
  return new ReLU({ name }).apply(x) as Sym;
}

/** Sums left to right, as the PyTorch code does (`y = y + t`), so rounding matches. */
export function add(xs: Sym[], name: string): Sym {
  return xs.length === 1 ? xs[0] : (new Add({ name }).apply(xs) as Sym);
}

/** conv → BN, optionally → ReLU; module names `${prefix}.${convIdx}` / `${prefix}.${convIdx+1}` as nn.Sequential gives. */
export function convBnSeq(
  x: Sym,
  prefix: string,
  args: Omit<Conv2dArgs, 'name'>,
  opts: { relu: boolean; first?: number },
): Sym {
  const i = opts.first ?? 0;
  const y = bn(conv(x, `${prefix}.${i}`, args), `${prefix}.${i + 1}`);
  return opts.relu ? relu(y, `${prefix}.${i + 2}`) : y;
}

export function upsampleNearest(x: Sym, factor: number, name: string): Sym {
  return tf.layers.upSampling2d({ size: [factor, factor], interpolation: 'nearest', name }).apply(x) as Sym;
}

/** Bilinear resize of `x` to the height and width of `ref` (PyTorch `F.interpolate(..., align_corners)`). */
export function resizeBilinearTo(x: Sym, ref: Sym, name: string, alignCorners: boolean): Sym {
  return new ResizeBilinear({ name, alignCorners }).apply([x, ref]) as Sym;
}
