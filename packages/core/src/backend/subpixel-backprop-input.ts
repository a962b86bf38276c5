import type { Info, KernelScope, Pads4 } from './wasm-kernel-utils.js';

/**
 * Input gradient of a (depthwise) convolution as forward convolutions of the output gradient.
 *
 * Along one axis, with stride s, dilation d and `padBefore` p, input position h receives
 * dy[i] * w[a] for every h + p = i*s + a*d. For stride 1 that is a correlation of dy with the flipped
 * filter. For stride s > 1 (d = 1) the rows h split into s phases v = h mod s; phase v only meets the
 * taps a ≡ (v + p) mod s, so it is a stride-1 correlation of dy with the flipped sub-filter
 * w[r], w[r+s], … — the classic sub-pixel decomposition. No work is spent on the zeros a strided
 * "transposed convolution" would insert between the rows of dy.
 */
export interface AxisPhase {
  /** Phase: output positions h = u*s + v. */
  v: number;
  /** First filter tap of the phase. */
  r: number;
  /** Number of taps r, r+s, … below the kernel size; 0 = the phase gets no gradient. */
  taps: number;
  /** Padding of dy before / after for the phase's stride-1 correlation (negative = crop). */
  before: number;
  after: number;
}

export interface AxisPlan {
  /** Outputs per phase, ceil(size / s). */
  count: number;
  phases: AxisPhase[];
}

export function planAxis(size: number, dySize: number, k: number, stride: number, dilation: number, padBefore: number): AxisPlan {
  if (stride > 1 && dilation > 1) throw new Error('planAxis: stride and dilation cannot both exceed 1');
  const count = Math.ceil(size / stride);
  const phases: AxisPhase[] = [];
  for (let v = 0; v < stride; v++) {
    const r = (v + padBefore) % stride;
    const taps = r >= k ? 0 : Math.ceil((k - r) / stride);
    // Output u of the phase reads dy[u + c - t*d], t = 0..taps-1.
    const c = (v + padBefore - r) / stride;
    phases.push({ v, r, taps, before: (taps - 1) * dilation - c, after: count + c - dySize });
  }
  return { count, phases };
}

export interface SubpixelArgs {
  /** Output gradient, NHWC. */
  dy: Info;
  /** Shape of the input gradient to produce, NHWC. */
  xShape: number[];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: Pads4;
  /**
   * The flipped sub-filter of one phase: taps (ry + (ty-1-i)*sy, rx + (tx-1-j)*sx) of the filter, laid out
   * for `phaseConv`.
   */
  subFilter: (ry: number, rx: number, ty: number, tx: number) => Info;
  /** Stride-1 correlation of dy with a sub-filter, giving [N, countY, countX, C] (cropped/padded by pads). */
  phaseConv: (g: Info, pads: Pads4) => Info;
}

export function subpixelBackpropInput(s: KernelScope, a: SubpixelArgs): Info {
  const [n, H, W, C] = a.xShape;
  const [kh, kw] = a.kernel;
  const [sy, sx] = a.strides;
  const [dh, dw] = a.dilations;
  const [pt, , pl] = a.pads;
  const py = planAxis(H, a.dy.shape[1], kh, sy, dh, pt);
  const px = planAxis(W, a.dy.shape[2], kw, sx, dw, pl);

  if (sy === 1 && sx === 1) {
    const [ph] = py.phases;
    const [pw] = px.phases;
    return a.phaseConv(a.subFilter(0, 0, ph.taps, pw.taps), [ph.before, ph.after, pw.before, pw.after]);
  }

  const someEmpty = py.phases.some((p) => p.taps === 0) || px.phases.some((p) => p.taps === 0);
  const dx = someEmpty ? s.zeros([n, H, W, C]) : s.alloc([n, H, W, C]);
  const U = py.count;
  const V = px.count;
  for (const ph of py.phases) {
    for (const pw of px.phases) {
      if (ph.taps === 0 || pw.taps === 0) continue;
      const g = a.subFilter(ph.r, pw.r, ph.taps, pw.taps);
      const out = a.phaseConv(g, [ph.before, ph.after, pw.before, pw.after]);
      // Scatter the phase into rows v, v+s, … and columns v', v'+s', … of dx.
      const src = s.f32(out);
      const dst = s.f32(dx);
      for (let b = 0; b < n; b++) {
        for (let u = 0; u < U; u++) {
          const h = u * sy + ph.v;
          if (h >= H) break;
          for (let w = pw.v, q = 0; q < V && w < W; q++, w += sx) {
            const so = ((b * U + u) * V + q) * C;
            const d0 = ((b * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) dst[d0 + c] = src[so + c];
          }
        }
      }
      s.free(out);
    }
  }
  return dx;
}

/**
 * Copies filter taps into a new [ty, tx, ...block] tensor, flipped: out[i, j] = src[ry + (ty-1-i)*sy, rx + (tx-1-j)*sx].
 * `src` is [kh, kw, ...block] with block = prod of its last two dims.
 */
export function gatherFlippedTaps(
  s: KernelScope,
  src: Info,
  ry: number,
  rx: number,
  ty: number,
  tx: number,
  sy: number,
  sx: number,
  outShape: number[],
): Info {
  const [kh, kw] = src.shape;
  if (ty === 1 && tx === 1 && kh === 1 && kw === 1) return src;
  const block = src.shape[2] * src.shape[3];
  const out = s.alloc(outShape);
  const from = s.f32(src);
  const to = s.f32(out);
  for (let i = 0; i < ty; i++) {
    for (let j = 0; j < tx; j++) {
      const a = ry + (ty - 1 - i) * sy;
      const b = rx + (tx - 1 - j) * sx;
      const o = (a * kw + b) * block;
      to.set(from.subarray(o, o + block), (i * tx + j) * block);
    }
  }
  return out;
}
