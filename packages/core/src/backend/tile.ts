import { callKernel, sizeOf, withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `Tile` for wasm (the shipped one walks every output element through a generic index map, and the
 * BatchNorm gradient tiles a [1,1,1,C] tensor to the full activation shape).
 *
 * Block copies on the wasm heap: from the innermost axis out, each contiguous block is repeated `reps`
 * times by doubling `copyWithin`, so the cost is a few memcpy passes over the output. Strings go to the
 * shipped kernel.
 */
export function tile({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = inputs.x!;
  const reps = attrs.reps as number[];
  if (x.dtype === 'string' || reps.length !== x.shape.length) return callKernel('Tile', backend, inputs, attrs, true);
  return withScope(backend, (s) => {
    const rank = x.shape.length;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = s.alloc(outShape, x.dtype);
    if (sizeOf(outShape) === 0) return out;
    const src = s.heap(x);
    const dst = s.heap(out);
    if (rank === 0) {
      dst.set(src);
      return out;
    }
    // Layout trick: copy each input row into its final place, then replicate blocks in place, axis by axis
    // from the innermost out. After processing axis k, every "slab" (outer index over axes < k) holds its
    // fully tiled content at the slab's final offset.
    // Step 0: scatter the input so that element x[i0..i_{r-1}] sits at out[i0..i_{r-1}] (reps index 0).
    const inner = x.shape[rank - 1];
    const outStrides = new Array<number>(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1] * outShape[i + 1];
    const rows = sizeOf(x.shape) / Math.max(inner, 1);
    const idx = new Array<number>(rank).fill(0);
    for (let row = 0; row < rows; row++) {
      let off = 0;
      for (let i = 0; i < rank - 1; i++) off += idx[i] * outStrides[i];
      dst.set(src.subarray(row * inner, row * inner + inner), off);
      for (let i = rank - 2; i >= 0; i--) {
        if (++idx[i] < x.shape[i]) break;
        idx[i] = 0;
      }
    }
    // Axis k, from innermost out: the block of one outer index at axis k spans x.shape[k] * outStrides[k]
    // elements; repeat it reps[k] times along k (only for outer indices of original positions).
    for (let k = rank - 1; k >= 0; k--) {
      if (reps[k] === 1) continue;
      const block = x.shape[k] * outStrides[k];
      const total = block * reps[k];
      // Outer positions: indices over axes < k restricted to the original input extent.
      const outerShape = x.shape.slice(0, k);
      const nOuter = sizeOf(outerShape);
      const oIdx = new Array<number>(k).fill(0);
      for (let t = 0; t < nOuter; t++) {
        let base = 0;
        for (let i = 0; i < k; i++) base += oIdx[i] * outStrides[i];
        for (let filled = block; filled < total; filled *= 2) {
          dst.copyWithin(base + filled, base, base + Math.min(filled, total - filled));
        }
        for (let i = k - 1; i >= 0; i--) {
          if (++oIdx[i] < x.shape[i]) break;
          oIdx[i] = 0;
        }
      }
    }
    return out;
  });
}
