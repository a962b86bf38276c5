import * as tf from '@tensorflow/tfjs';

/**
 * A WGSL program for tfjs-backend-webgpu's `runWebGPUProgram`: an NHWC convolution (optionally + bias and
 * ReLU) or one of its two gradients as an implicit GEMM (see {@link GEMMS}), whose output tiles
 * (64x64, 128x32 or 256x16 pixels x channels: 256 threads of 4x4 outputs) read 16-deep slices of the input patches and the filter into workgroup memory as f16, multiply
 * there in f16 and accumulate in f32. Tensors stay float32 (tfjs has no float16 dtype): the conversion
 * happens as a tile is loaded. Needs a device with `shader-f16`; the module's `enable f16;` is added by
 * {@link F16_SHADER_MARKER} (tfjs writes the shader's first lines itself).
 */

/** A comment our shaders carry; the device's `createShaderModule` puts `enable f16;` in front of them. */
export const F16_SHADER_MARKER = '// hrnet: needs enable f16';

/** The depth of a K slice; every thread computes 4 rows (pixels) x 4 columns (channels). */
const TILE_K = 16;
const THREADS = 256;
/** Tile shapes [rows, columns] of 256 threads x 16 outputs, squarest first. */
const TILES: Array<[number, number]> = [
  [64, 64],
  [128, 32],
  [256, 16],
];

/**
 * The tile shape that pads the [m, n] output least (HRNet's 18/36/72/144 channels fill 64 columns
 * badly: 144 = 9 x 16 exactly, 18 in a 64-wide tile would waste 72%); ties go to the squarer tile.
 */
export function chooseTile(m: number, n: number): [number, number] {
  const padded = ([tm, tn]: [number, number]) => Math.ceil(m / tm) * tm * Math.ceil(n / tn) * tn;
  return TILES.reduce((best, t) => (padded(t) < padded(best) ? t : best));
}

/**
 * WGSL helpers: `unflatten` splits i = (a · middle + b) · inner + c into (a, b, c) — a pixel index into
 * (y, x) with inner 1, a filter row into (ky, kx, channel); `readX`: x (NHWC) at the input pixel that filter tap
 * (ky, kx) sees from output pixel (oy, ox), 0 in the padding.
 */
const UNFLATTEN = `
fn unflatten(i : i32, middle : i32, inner : i32) -> vec3<i32> {
  let ab = i / inner;
  let a = ab / middle;
  return vec3<i32>(a, ab - a * middle, i - ab * inner);
}`;
const READ_X = `
fn readX(b : i32, oy : i32, ox : i32, ky : i32, kx : i32, ci : i32) -> f16 {
  let iy = oy * uniforms.strides.x - uniforms.pads.x + ky * uniforms.dilations.x;
  let ix = ox * uniforms.strides.y - uniforms.pads.y + kx * uniforms.dilations.y;
  if (iy < 0 || iy >= uniforms.xShape.y || ix < 0 || ix >= uniforms.xShape.z) { return f16(0.0); }
  return toF16(x[((b * uniforms.xShape.y + iy) * uniforms.xShape.z + ix) * uniforms.xShape.w + ci]);
}`;

/** The convolution's forward pass, its input gradient (Conv2DBackpropInput) or its filter gradient (Conv2DBackpropFilter). */
export type ConvGemmKind = 'forward' | 'inputGrad' | 'filterGrad';

/**
 * Each kind as a GEMM: its operands (tfjs inputs), output, rows m x columns n x depth k, how many of
 * them (the batch, in the dispatch's z) and how an element of A (row, k) and B (k, column) is read —
 * the im2col matrices are never stored. Shapes are NHWC, filters [kh, kw, inC, outC].
 */
const GEMMS: Record<ConvGemmKind, { operands: [string, string]; output: (c: tf.backend_util.Conv2DInfo) => number[]; mnk: (c: tf.backend_util.Conv2DInfo) => [number, number, number]; batches: (c: tf.backend_util.Conv2DInfo) => number; readA: string; readB: string }> = {
  // [outH·outW, kh·kw·inC] x [kh·kw·inC, outC] per image.
  forward: {
    operands: ['x', 'W'],
    output: (c) => c.outShape,
    mnk: (c) => [c.outHeight * c.outWidth, c.outChannels, c.filterHeight * c.filterWidth * c.inChannels],
    batches: (c) => c.batchSize,
    readA: `
  let o = unflatten(row, uniforms.outShape.z, 1);
  let t = unflatten(k, uniforms.wShape.y, uniforms.xShape.w);
  return readX(batch, o.x, o.y, t.x, t.y, t.z);`,
    readB: `
  return toF16(W[k * uniforms.outShape.w + col]);`,
  },
  // dx: [inH·inW, kh·kw·outC] (dy at the output pixels each input pixel fed) x [kh·kw·outC, inC] per image.
  inputGrad: {
    operands: ['dy', 'W'],
    output: (c) => c.inShape,
    mnk: (c) => [c.inHeight * c.inWidth, c.inChannels, c.filterHeight * c.filterWidth * c.outChannels],
    batches: (c) => c.batchSize,
    readA: `
  let i = unflatten(row, uniforms.outShape.z, 1);
  let t = unflatten(k, uniforms.wShape.y, uniforms.dyShape.w);
  let sy = i.x + uniforms.pads.x - t.x * uniforms.dilations.x;
  let sx = i.y + uniforms.pads.y - t.y * uniforms.dilations.y;
  if (sy < 0 || sx < 0 || sy % uniforms.strides.x != 0 || sx % uniforms.strides.y != 0) { return f16(0.0); }
  let oy = sy / uniforms.strides.x;
  let ox = sx / uniforms.strides.y;
  if (oy >= uniforms.dyShape.y || ox >= uniforms.dyShape.z) { return f16(0.0); }
  return toF16(dy[((batch * uniforms.dyShape.y + oy) * uniforms.dyShape.z + ox) * uniforms.dyShape.w + t.z]);`,
    readB: `
  let outC = uniforms.dyShape.w;
  let tap = k / outC;
  return toF16(W[(tap * uniforms.outShape.w + col) * outC + (k - tap * outC)]);`,
  },
  // dW: [kh·kw·inC, batch·outH·outW] (the forward's im2col, transposed) x [batch·outH·outW, outC], once.
  filterGrad: {
    operands: ['x', 'dy'],
    output: (c) => [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels],
    mnk: (c) => [c.filterHeight * c.filterWidth * c.inChannels, c.outChannels, c.batchSize * c.outHeight * c.outWidth],
    batches: () => 1,
    readA: `
  let t = unflatten(row, uniforms.outShape.y, uniforms.xShape.w);
  let o = unflatten(k, uniforms.dyShape.y, uniforms.dyShape.z);
  return readX(o.x, o.y, o.z, t.x, t.y, t.z);`,
    readB: `
  return toF16(dy[k * uniforms.outShape.w + col]);`,
  },
};

/** The shape of tfjs-backend-webgpu's `WebGPUProgram` that this program fills in. */
export class Conv2DF16Program {
  readonly variableNames: string[];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, dilations : vec2<i32>, dimM : i32, dimK : i32,';
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [3], y: [1, 2], z: [0] };
  readonly workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  readonly shaderKey: string;
  /** The int32 uniforms `uniforms` declares, in its order. */
  readonly uniformData: Array<{ type: 'int32'; data: number[] }>;
  private readonly tileM: number;
  private readonly tileN: number;

  /** `hasBias` / `relu`: the forward kind only (FusedConv2D). */
  constructor(
    private readonly kind: ConvGemmKind,
    conv: tf.backend_util.Conv2DInfo,
    private readonly hasBias = false,
    private readonly relu = false,
  ) {
    const gemm = GEMMS[kind];
    this.variableNames = [...gemm.operands, ...(hasBias ? ['bias'] : [])];
    this.outputShape = gemm.output(conv);
    const [m, n, k] = gemm.mnk(conv);
    [this.tileM, this.tileN] = chooseTile(m, n);
    this.workgroupSize = [this.tileN / 4, this.tileM / 4, 1];
    this.dispatch = [Math.ceil(n / this.tileN), Math.ceil(m / this.tileM), gemm.batches(conv)];
    this.shaderKey = `hrnetConv2dF16_${kind}_${this.tileM}x${this.tileN}_${hasBias}_${relu}`;
    this.uniformData = [
      { type: 'int32', data: [conv.padInfo.top, conv.padInfo.left] },
      { type: 'int32', data: [conv.strideHeight, conv.strideWidth] },
      { type: 'int32', data: [conv.dilationHeight, conv.dilationWidth] },
      { type: 'int32', data: [m] },
      { type: 'int32', data: [k] },
    ];
  }

  getUserCode(): string {
    const [TILE_M, TILE_N] = [this.tileM, this.tileN];
    // Values beyond f16's range become ±inf, as on f16 hardware, so that the loss scaler and the finite
    // guard see the overflow (a plain f32 → f16 conversion of them is undefined in WGSL; saturating would hide it).
    return `
${F16_SHADER_MARKER}
var<workgroup> tileA : array<array<f16, ${TILE_K}>, ${TILE_M}>;
var<workgroup> tileB : array<array<f16, ${TILE_N}>, ${TILE_K}>;

fn toF16(v : f32) -> f16 {
  if (abs(v) <= 65504.0) { return f16(v); }
  return bitcast<vec2<f16>>(select(0xFC00FC00u, 0x7C007C00u, v > 0.0)).x;
}

${UNFLATTEN}
${this.kind === 'inputGrad' ? '' : READ_X}
fn readA(batch : i32, row : i32, k : i32) -> f16 {
  if (row >= uniforms.dimM || k >= uniforms.dimK) { return f16(0.0); }${GEMMS[this.kind].readA}
}

fn readB(k : i32, col : i32) -> f16 {
  if (k >= uniforms.dimK || col >= uniforms.outShape.w) { return f16(0.0); }${GEMMS[this.kind].readB}
}

fn main() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let flat = ty * ${TILE_N / 4} + tx;
  let batch = i32(workgroupId.z);
  let rowBase = i32(workgroupId.y) * ${TILE_M};
  let colBase = i32(workgroupId.x) * ${TILE_N};
  var acc : array<vec4<f32>, 4>;
  let slices = (uniforms.dimK + ${TILE_K - 1}) / ${TILE_K};
  for (var t = 0; t < slices; t++) {
    let k0 = t * ${TILE_K};
    for (var i = 0; i < ${(TILE_M * TILE_K) / THREADS}; i++) {
      let e = flat + i * ${THREADS};
      tileA[e / ${TILE_K}][e % ${TILE_K}] = readA(batch, rowBase + e / ${TILE_K}, k0 + e % ${TILE_K});
    }
    for (var i = 0; i < ${(TILE_N * TILE_K) / THREADS}; i++) {
      let e = flat + i * ${THREADS};
      tileB[e / ${TILE_N}][e % ${TILE_N}] = readB(k0 + e / ${TILE_N}, colBase + e % ${TILE_N});
    }
    workgroupBarrier();
    for (var k = 0; k < ${TILE_K}; k++) {
      let b = vec4<f16>(tileB[k][tx * 4], tileB[k][tx * 4 + 1], tileB[k][tx * 4 + 2], tileB[k][tx * 4 + 3]);
      for (var i = 0; i < 4; i++) {
        acc[i] += vec4<f32>(tileA[ty * 4 + i][k] * b);
      }
    }
    workgroupBarrier();
  }
  let outC = uniforms.outShape.w;
  for (var i = 0; i < 4; i++) {
    let row = rowBase + ty * 4 + i;
    for (var j = 0; j < 4; j++) {
      let col = colBase + tx * 4 + j;
      if (row < uniforms.dimM && col < outC) {
        var v = acc[i][j];
        ${this.hasBias ? 'v += bias[col];' : ''}
        ${this.relu ? 'v = max(v, 0.0);' : ''}
        result[(batch * uniforms.dimM + row) * outC + col] = v;
      }
    }
  }
}
`;
  }
}
