import * as tf from '@tensorflow/tfjs';
import { NCHW_TO_NHWC, padsOf, view, withScope, type Info, type KernelArgs, type KernelScope, type Pads4 } from './wasm-kernel-utils.js';

interface Geometry {
  n: number;
  H: number;
  W: number;
  ci: number;
  ho: number;
  wo: number;
  co: number;
  kh: number;
  kw: number;
  sy: number;
  sx: number;
  pads: Pads4;
}

/** 'im2col' packs the thinner GEMM operand; 'im2col-dy' / 'im2col-cols' force the side (tests, benchmarks). */
export type FilterGradStrategy = 'auto' | 'im2col' | 'im2col-dy' | 'im2col-cols' | 'dilated';
let strategy: FilterGradStrategy = 'auto';

/** Forces one formulation (tests and benchmarks); 'auto' picks per layer shape. */
export function setConv2dBackpropFilterStrategy(s: FilterGradStrategy): void {
  strategy = s;
}

/** im2col matrix elements beyond which the dilated formulation is used, to bound memory (256 MB). */
const IM2COL_MAX = 64 * 1024 * 1024;

/**
 * Chosen from per-layer timings inside hrnet_w18_small training steps (batch 8, 224): the im2col GEMM wins
 * for 1x1 convs (no im2col pass; the packed side is chosen by {@link packColsIsCheaper}) and for wide 3x3
 * layers (Co >= 256: 25-30% faster); the dilated convolution wins for narrow 3x3 layers, where building and
 * packing the im2col matrix costs more than the product.
 */
function pickStrategy(g: Geometry): Exclude<FilterGradStrategy, 'auto'> {
  if (strategy !== 'auto') return strategy;
  const p = g.n * g.ho * g.wo;
  const taps = g.kh * g.kw;
  if (taps * g.ci * p > IM2COL_MAX) return 'dilated';
  if (taps === 1) return 'im2col';
  if (g.co >= 256 && p >= 1024) return 'im2col';
  return 'dilated';
}

/**
 * Elements moved by each GEMM arrangement (packing counts twice: tfjs transposes the filter, XNNPACK packs it):
 * packing dy costs 2·P·Co; packing cols costs 2·P·width plus transposing dy and the [Co, width] result.
 */
function packColsIsCheaper(g: Geometry): boolean {
  const p = g.n * g.ho * g.wo;
  const width = g.kh * g.kw * g.ci;
  const identity = width === g.ci && g.sy === 1 && g.sx === 1 && g.pads.every((v) => v === 0);
  const build = p * width;
  const packDy = build + 2 * p * g.co;
  const packCols = (identity ? 0 : build) + p * g.co + 2 * p * width + 2 * width * g.co;
  return packCols < packDy;
}

/**
 * dW [kh*kw*Ci, Co] = cols [kh*kw*Ci, P] x dy [P, Co] with cols = im2col(x)^T, P = N*Ho*Wo, as one XNNPACK
 * GEMM (a 1x1 convolution whose filter is dy). The rows of cols are (a, b, ci) so the product is already HWIO.
 * cols is gathered from x^T [Ci, N, H, W] in JS (row copies at stride 1); 1x1 stride-1 unpadded: cols = x^T.
 */
function viaIm2col(s: KernelScope, x: Info, dy: Info, g: Geometry): Info {
  const { n, H, W, ci, ho, wo, co, kh, kw, sy, sx } = g;
  const [pt, , pl] = g.pads;
  const xt = s.transpose(view(x, [n * H * W, ci]), [1, 0]); // [Ci, N*H*W]
  const p = n * ho * wo;
  let cols = xt;
  const identity = kh === 1 && kw === 1 && sy === 1 && sx === 1 && g.pads.every((v) => v === 0);
  if (!identity) {
    cols = s.alloc([kh * kw * ci, p]);
    const src = s.f32(xt);
    const dst = s.f32(cols);
    let o = 0;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        // Output columns j whose input column j*sx + b - pl is inside the image: [j0, j1).
        const j0 = Math.min(wo, Math.max(0, Math.ceil((pl - b) / sx)));
        const j1 = Math.max(j0, Math.min(wo, Math.floor((W - 1 + pl - b) / sx) + 1));
        for (let c = 0; c < ci; c++) {
          for (let m = 0; m < n; m++) {
            const plane = (c * n + m) * H;
            for (let i = 0; i < ho; i++, o += wo) {
              const r = i * sy + a - pt;
              if (r < 0 || r >= H) {
                dst.fill(0, o, o + wo);
                continue;
              }
              if (j0 > 0) dst.fill(0, o, o + j0);
              if (j1 < wo) dst.fill(0, o + j1, o + wo);
              const row = (plane + r) * W + b - pl;
              if (sx === 1) {
                dst.set(src.subarray(row + j0, row + j1), o + j0);
              } else {
                for (let j = j0; j < j1; j++) dst[o + j] = src[row + j * sx];
              }
            }
          }
        }
      }
    }
  }
  // The conv caches XNNPACK's packed copy of dy under dy's id until dy is disposed (the end of the backward
  // pass in tf's tape): a bounded extra, P x Co floats per layer on this path.
  const out = s.conv(view(cols, [1, 1, kh * kw * ci, p]), view(dy, [1, 1, p, co]), { pads: [0, 0, 0, 0] });
  return view(out, [kh, kw, ci, co]);
}

/**
 * The same GEMM transposed, for thin patches (kh*kw*Ci < Co: the stem, 1x1 expansions): XNNPACK packs its
 * right operand, and packing P x Co elements of dy would cost more than the product, so
 * dW^T [Co, kh*kw*Ci] = dy^T [Co, P] x cols [P, kh*kw*Ci] packs the thinner im2col matrix instead
 * (rows = output pixels, gathered from x in NHWC; x itself for 1x1 stride-1 unpadded), then one small transpose.
 */
function viaIm2colPackCols(s: KernelScope, x: Info, dy: Info, g: Geometry): Info {
  const { n, H, W, ci, ho, wo, co, kh, kw, sy, sx } = g;
  const [pt, , pl] = g.pads;
  const p = n * ho * wo;
  const width = kh * kw * ci;
  let cols = x;
  if (!(kh === 1 && kw === 1 && sy === 1 && sx === 1 && g.pads.every((v) => v === 0))) {
    cols = s.zeros([p, width]);
    const src = s.f32(x);
    const dst = s.f32(cols);
    let o = 0;
    for (let m = 0; m < n; m++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++, o += width) {
          for (let a = 0; a < kh; a++) {
            const r = i * sy + a - pt;
            if (r < 0 || r >= H) continue;
            for (let b = 0; b < kw; b++) {
              const c = j * sx + b - pl;
              if (c < 0 || c >= W) continue;
              const from = ((m * H + r) * W + c) * ci;
              const to = o + (a * kw + b) * ci;
              for (let k = 0; k < ci; k++) dst[to + k] = src[from + k];
            }
          }
        }
      }
    }
  }
  const dyt = s.transpose(view(dy, [p, co]), [1, 0]); // [Co, P]
  const out = s.conv(view(dyt, [1, 1, co, p]), view(cols, [1, 1, p, width]), { pads: [0, 0, 0, 0] }); // [Co, width]
  return view(s.transpose(view(out, [co, width]), [1, 0]), [kh, kw, ci, co]);
}

/**
 * dW as a convolution: x transposed to [Ci, H, W, N] (channels = batch), filtered by dy transposed to
 * [Ho, Wo, N, Co] with dilation = stride, gives [Ci, kh, kw, Co]. No im2col buffer (for huge inputs).
 */
function viaDilatedConv(s: KernelScope, x: Info, dy: Info, g: Geometry): Info {
  const { H, W, ho, wo, kh, kw, sy, sx } = g;
  const [pt, , pl] = g.pads;
  const xt = s.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
  const ft = s.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
  // Rows of x past the last one the conv reads are cropped (negative padding), extra ones padded.
  const pb = kh + sy * (ho - 1) - H - pt;
  const pr = kw + sx * (wo - 1) - W - pl;
  const out = s.conv(xt, ft, { dilations: [sy, sx], pads: [pt, pb, pl, pr] }); // [Ci, kh, kw, Co]
  return s.transpose(out, [1, 2, 0, 3]);
}

/**
 * `Conv2DBackpropFilter` for wasm (missing from the shipped backend).
 *
 * dW[a, b, ci, co] = sum over n, i, j of xpad[n, i*s + a, j*s + b, ci] * dy[n, i, j, co]. Two formulations,
 * both XNNPACK convolutions (see {@link viaIm2col}, {@link viaDilatedConv}); im2col + GEMM is the fast one,
 * the dilated convolution needs no extra buffer. Any padding form; NCHW via transposes.
 */
export function conv2dBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = inputs.x!;
  const dy = inputs.dy!;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm): float32 inputs expected, got ${x.dtype} / ${dy.dtype}`);
  }
  return withScope(backend, (s) => {
    const nchw = dataFormat === 'NCHW';
    const xh = nchw ? s.transpose(x, NCHW_TO_NHWC) : x;
    const dyh = nchw ? s.transpose(dy, NCHW_TO_NHWC) : dy;
    const [n, H, W, ci] = xh.shape;
    const [, ho, wo, co] = dyh.shape;
    const info = tf.backend_util.computeConv2DInfo(
      xh.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    if (info.outHeight !== ho || info.outWidth !== wo || info.outChannels !== co || filterShape[2] !== ci) {
      throw new Error(`Conv2DBackpropFilter: x [${xh.shape}] / dy [${dyh.shape}] do not match filter [${filterShape}]`);
    }
    const g: Geometry = {
      n, H, W, ci, ho, wo, co,
      kh: filterShape[0],
      kw: filterShape[1],
      sy: info.strideHeight,
      sx: info.strideWidth,
      pads: padsOf(info),
    };
    const how = pickStrategy(g);
    if (how === 'dilated') return viaDilatedConv(s, xh, dyh, g);
    const packCols = how === 'im2col-cols' || (how === 'im2col' && packColsIsCheaper(g));
    return packCols ? viaIm2colPackCols(s, xh, dyh, g) : viaIm2col(s, xh, dyh, g);
  });
}
