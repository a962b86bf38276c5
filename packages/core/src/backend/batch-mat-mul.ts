import * as tf from '@tensorflow/tfjs';
import { callKernel, sizeOf, view, withScope, type Info, type KernelArgs, type KernelScope } from './wasm-kernel-utils.js';

/**
 * `BatchMatMul` for wasm. The shipped kernel uses XNNPACK (fully-connected operator, which packs its
 * right operand) only for unbatched products without transposes, and a blocked scalar loop (~2 GFLOP/s)
 * otherwise — which is every matmul of a Dense layer's gradient. It also ignores a batched `b` when `a`
 * has batch 1.
 *
 * Here the operands are first made row-major (transposes are cheap copies) and the product runs on the
 * XNNPACK path:
 * - both unbatched: C = A B, or C^T = B^T A^T when that packs the smaller operand (dx = dy W^T of a Dense
 *   layer packs dy^T instead of the whole weight matrix);
 * - `b` unbatched: all of a's batches are one product [B*M, K] x [K, N];
 * - `a` unbatched, `b` batched: A [M, K] x B' [K, B*N] with b moved to [K, B, N], then back to [B, M, N];
 * - both batched (or other broadcasts): the shipped kernel, operands already untransposed.
 * The operand the shipped kernel packs and caches by tensor id is always either the caller's `b` in its
 * own layout or a fresh temporary, so its cache can never see one tensor with two shapes.
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
  const noT = { transposeA: false, transposeB: false };
  return withScope(backend, (s) => {
    if (ba === 1 && bb === 1) {
      // Elements moved: packing the right operand, plus the transposes each formulation needs.
      const direct = k * n + (transposeB ? k * n : 0) + (transposeA ? k * m : 0);
      const swapped = k * m + (transposeB ? 0 : k * n) + (transposeA ? 0 : k * m) + m * n;
      if (swapped < direct) {
        // C^T [n, m] = B^T [n, k] x A^T [k, m].
        const bt = transposeB ? view(b, [1, n, k]) : s.transpose(view(b, [1, k, n]), [0, 2, 1]);
        const at = fresh(s, transposeA ? view(a, [1, k, m]) : s.transpose(view(a, [1, m, k]), [0, 2, 1]), a);
        const ct = s.run('BatchMatMul', { a: bt, b: at }, noT, true);
        return view(s.transpose(ct, [0, 2, 1]), outShape);
      }
    }
    // Row-major operands: A [ba, m, k], B [bb, k, n].
    const A = transposeA ? s.transpose(view(a, [ba, k, m]), [0, 2, 1]) : view(a, [ba, m, k]);
    const B = transposeB ? fresh(s, s.transpose(view(b, [bb, n, k]), [0, 2, 1]), b) : view(b, [bb, k, n]);
    if (bb === 1) {
      const out = s.run('BatchMatMul', { a: view(A, [1, ba * m, k]), b: B }, noT, true);
      return view(out, outShape);
    }
    if (ba === 1) {
      const bt = fresh(s, s.transpose(B, [1, 0, 2]), b); // [k, bb, n]
      const prod = s.run('BatchMatMul', { a: view(A, [1, m, k]), b: view(bt, [1, k, bb * n]) }, noT, true);
      const out = s.transpose(view(prod, [m, bb, n]), [1, 0, 2]);
      return view(out, outShape);
    }
    const out = s.run('BatchMatMul', { a: A, b: B }, noT, true);
    return view(out, outShape);
  });
}

/** `x` itself, or a copy when it shares `source`'s data (a free transpose): see the cache note above. */
function fresh(s: KernelScope, x: Info, source: Info): Info {
  if (x.dataId !== source.dataId) return x;
  const out = s.alloc([...x.shape]);
  s.f32(out).set(s.f32(x));
  return out;
}
