import { callKernel, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `Identity` and same-dtype `Cast` for wasm without copying: the output shares the input's data
 * (reference-counted), as on the cpu backend. tfjs-layers clones every tensor a layer passes through
 * unchanged, and tensors are immutable, so the shipped kernels' copies are pure cost (~3% of a training step).
 */
export function identity({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = inputs.x!;
  if (x.dtype === 'string') return callKernel('Identity', backend, inputs, attrs, true);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Same-dtype casts are free; casts to bool test != 0 (the shipped kernel stores 2 as 2 and -1 as 255). */
export function cast(args: KernelArgs): Info {
  const x = args.inputs.x!;
  const dtype = args.attrs?.dtype;
  if (dtype === x.dtype && x.dtype !== 'string') return identity(args);
  if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
    const { backend } = args;
    const out = backend.makeOutput([...x.shape], 'bool');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  return callKernel('Cast', args.backend, args.inputs, args.attrs, true);
}
