import { withScope, type Info, type KernelArgs } from './wasm-kernel-utils.js';

/**
 * Resize gradients for wasm. The shipped `ResizeNearestNeighborGrad` / `ResizeBilinearGrad` ignore
 * `halfPixelCenters` (PyTorch's `align_corners=False` convention), so their gradients are wrong in that
 * mode; the cpu backend's are wrong whenever H != W. These are direct loops over the wasm heap that
 * scatter dy through exactly the sampling the forward kernels use (adjoint by construction).
 */
interface ResizeAttrs {
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

const f32 = Math.fround;

/** Source row/column of each output position for the wasm ResizeNearestNeighbor (float32 arithmetic, as its C++). */
export function nearestIndex(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): Int32Array {
  const adjust = alignCorners && outSize > 1;
  const scale = f32(f32(adjust ? inSize - 1 : inSize) / f32(adjust ? outSize - 1 : outSize));
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixel ? f32(scale * (o + 0.5)) : f32(scale * o);
    let i = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
    if (halfPixel) i = Math.max(0, i);
    idx[o] = i;
  }
  return idx;
}

function isBlockMap(idx: Int32Array, f: number): boolean {
  for (let o = 0; o < idx.length; o++) if (idx[o] !== Math.floor(o / f)) return false;
  return true;
}

export function resizeNearestNeighborGrad({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const images = inputs.images!;
  const dy = inputs.dy!;
  const { alignCorners = false, halfPixelCenters = false } = attrs as ResizeAttrs;
  return withScope(backend, (s) => {
    const [n, H, W, C] = images.shape;
    const [, oh, ow] = dy.shape;
    const rows = nearestIndex(H, oh, alignCorners, halfPixelCenters);
    const cols = nearestIndex(W, ow, alignCorners, halfPixelCenters);
    // Integer-factor upsampling (HRNet's fuse layers): every input pixel owns one fy x fx block of dy, so
    // the gradient is a block sum = XNNPACK average pool x (fy * fx).
    const fy = oh / H;
    const fx = ow / W;
    if (Number.isInteger(fy) && Number.isInteger(fx) && isBlockMap(rows, fy) && isBlockMap(cols, fx) && dy.dtype === 'float32') {
      const pooled = s.run('AvgPool', { x: dy }, { filterSize: [fy, fx], strides: [fy, fx], pad: 'valid' });
      if (fy * fx !== 1) {
        const v = s.f32(pooled);
        for (let i = 0; i < v.length; i++) v[i] *= fy * fx;
      }
      return pooled;
    }
    const dx = s.zeros([n, H, W, C]);
    scatterNearestGrad(s.f32(dy), s.f32(dx), images.shape as Dims, dy.shape[1], dy.shape[2], alignCorners, halfPixelCenters);
    return dx;
  });
}

type Dims = [number, number, number, number];

/**
 * Adds each dy value to the input pixel the forward nearest resize read it from (adjoint by construction).
 * Backend-agnostic: the wasm kernel passes heap views, the cpu fix plain arrays.
 */
export function scatterNearestGrad(
  D: Float32Array, X: Float32Array, [n, H, W, C]: Dims, oh: number, ow: number, alignCorners: boolean, halfPixel: boolean,
): void {
  const rows = nearestIndex(H, oh, alignCorners, halfPixel);
  const cols = nearestIndex(W, ow, alignCorners, halfPixel);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const xr = (b * H + rows[r]) * W;
      for (let c = 0; c < ow; c++) {
        const xo = (xr + cols[c]) * C;
        const yo = ((b * oh + r) * ow + c) * C;
        for (let d = 0; d < C; d++) X[xo + d] += D[yo + d];
      }
    }
  }
}

/** Per output position: the two source positions and the weight of the second (TF's bilinear sampling). */
export function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean) {
  const adjust = alignCorners && outSize > 1;
  const scale = (adjust ? inSize - 1 : inSize) / (adjust ? outSize - 1 : outSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixel ? Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1) : Math.min(o * scale, inSize - 1);
    lo[o] = Math.floor(src);
    hi[o] = Math.min(lo[o] + 1, inSize - 1);
    frac[o] = src - lo[o];
  }
  return { lo, hi, frac };
}

export function resizeBilinearGrad({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const images = inputs.images!;
  const dy = inputs.dy!;
  const { alignCorners = false, halfPixelCenters = false } = attrs as ResizeAttrs;
  return withScope(backend, (s) => {
    const [n, H, W, C] = images.shape;
    const acc = scatterBilinearGrad(s.f32(dy), images.shape as Dims, dy.shape[1], dy.shape[2], alignCorners, halfPixelCenters);
    const dx = s.alloc([n, H, W, C]);
    s.f32(dx).set(acc);
    return dx;
  });
}

/** Spreads each dy value over the four taps the forward bilinear resize read (float64 accumulation). */
export function scatterBilinearGrad(
  D: Float32Array, [n, H, W, C]: Dims, oh: number, ow: number, alignCorners: boolean, halfPixel: boolean,
): Float64Array {
  const ry = bilinearTaps(H, oh, alignCorners, halfPixel);
  const rx = bilinearTaps(W, ow, alignCorners, halfPixel);
  const acc = new Float64Array(n * H * W * C);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const fy = ry.frac[r];
      const top = (b * H + ry.lo[r]) * W;
      const bottom = (b * H + ry.hi[r]) * W;
      for (let c = 0; c < ow; c++) {
        const fx = rx.frac[c];
        const w00 = (1 - fy) * (1 - fx);
        const w01 = (1 - fy) * fx;
        const w10 = fy * (1 - fx);
        const w11 = fy * fx;
        const p00 = (top + rx.lo[c]) * C;
        const p01 = (top + rx.hi[c]) * C;
        const p10 = (bottom + rx.lo[c]) * C;
        const p11 = (bottom + rx.hi[c]) * C;
        const yo = ((b * oh + r) * ow + c) * C;
        for (let d = 0; d < C; d++) {
          const g = D[yo + d];
          acc[p00 + d] += g * w00;
          acc[p01 + d] += g * w01;
          acc[p10 + d] += g * w10;
          acc[p11 + d] += g * w11;
        }
      }
    }
  }
  return acc;
}
