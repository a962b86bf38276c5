import * as tf from '@tensorflow/tfjs';
import { callKernel, sizeOf, view, withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * `BatchMatMul` for wasm. The shipped kernel uses XNNPACK only for unbatched products without
 * transposes and a blocked scalar loop (~2 GFLOP/s) otherwise — which is every matmul of a Dense
 * layer's gradient — and it ignores a batched `b` when `a` has batch 1.
 *
 * Here the operands are transposed to row-major [.., M, K] x [K, N] first (a cheap copy), and:
 * - `b` unbatched: all of a's batches are one XNNPACK product [B*M, K] x [K, N];
 * - `a` unbatched, `b` batched: A [M, K] x B' [K, B*N] with b moved to [K, B, N], then back to [B, M, N];
 * - both batched (or other broadcasts): the shipped kernel, operands already untransposed.
 */
export function batchMatMul({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const a = inputs.a!;
  const b = inputs.b!;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return callKernel('BatchMatMul', backend, inputs, attrs, true);
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of [${a.shape}] and [${b.shape}] do not match`);
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...outBatch, m, n];
  const ba = sizeOf(a.shape.slice(0, -2));
  const bb = sizeOf(b.shape.slice(0, -2));
  return withScope(backend, (s) => {
    // Row-major operands: A [ba, m, k], B [bb, k, n].
    const A = transposeA ? s.transpose(view(a, [ba, k, m]), [0, 2, 1]) : view(a, [ba, m, k]);
    const B = transposeB ? s.transpose(view(b, [bb, n, k]), [0, 2, 1]) : view(b, [bb, k, n]);
    const noT = { transposeA: false, transposeB: false };
    if (bb === 1) {
      const out = s.run('BatchMatMul', { a: view(A, [1, ba * m, k]), b: B }, noT, true);
      return view(out, outShape);
    }
    if (ba === 1) {
      const bt = s.transpose(B, [1, 0, 2]); // [k, bb, n]
      const prod = s.run('BatchMatMul', { a: view(A, [1, m, k]), b: view(bt, [1, k, bb * n]) }, noT, true);
      const out = s.transpose(view(prod, [m, bb, n]), [1, 0, 2]);
      return view(out, outShape);
    }
    const out = s.run('BatchMatMul', { a: A, b: B }, noT, true);
    return view(out, outShape);
  });
}
