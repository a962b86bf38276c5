import { AvgPool2d } from '../layers/avg-pool-2d.js';
import { channelsOf, conv, relu, upsampleNearest, type Sym } from '../layers/functional.js';

/**
 * HF-HRNet's pooled-context path, `up(Sequential(AvgPool2d(3, 2, 1), Conv2d(C, C, 1)[, ReLU])(x))`:
 * a 3×3 stride-2 average (zero padding counted, ÷9), a 1×1 conv without bias, ReLU in the stem only,
 * then nearest ×2 back to x's size (x must have even H and W). Module names: `${seq}.0/.1/.2`; `up` is
 * the upsampling module's name. The caller adds the result to x.
 */
export function pooledContext(x: Sym, seq: string, up: string, opts: { relu: boolean }): Sym {
  const c = channelsOf(x);
  let g = new AvgPool2d({ name: `${seq}.0`, kernelSize: 3, strides: 2, padding: 1 }).apply(x) as Sym;
  g = conv(g, `${seq}.1`, { filters: c, kernelSize: 1 });
  if (opts.relu) g = relu(g, `${seq}.2`);
  return upsampleNearest(g, 2, up);
}
