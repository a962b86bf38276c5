/**
 * A WGSL program for tfjs-backend-webgpu's `runWebGPUProgram`: an NHWC convolution (optionally + bias and
 * ReLU) as an implicit GEMM, [outH·outW, kh·kw·inC] x [kh·kw·inC, outC] per image, whose output tiles
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

/** What the program needs of tfjs's `Conv2DInfo`. */
export interface ConvShape {
  batchSize: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  outShape: [number, number, number, number];
}

/** The shape of tfjs-backend-webgpu's `WebGPUProgram` that this program fills in. */
export class Conv2DF16Program {
  readonly variableNames: string[] = ['x', 'W'];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, dilations : vec2<i32>, dimM : i32, dimK : i32,';
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [3], y: [1, 2], z: [0] };
  readonly workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  readonly shaderKey: string;
  private readonly tileM: number;
  private readonly tileN: number;

  constructor(
    conv: ConvShape,
    private readonly hasBias: boolean,
    private readonly relu: boolean,
  ) {
    this.outputShape = conv.outShape;
    const m = conv.outHeight * conv.outWidth;
    [this.tileM, this.tileN] = chooseTile(m, conv.outChannels);
    this.workgroupSize = [this.tileN / 4, this.tileM / 4, 1];
    this.dispatch = [Math.ceil(conv.outChannels / this.tileN), Math.ceil(m / this.tileM), conv.batchSize];
    if (hasBias) this.variableNames.push('bias');
    this.shaderKey = `hrnetConv2dF16_${this.tileM}x${this.tileN}_${hasBias}_${relu}`;
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

// Row = output pixel of image 'batch', k = (ky * kw + kx) * inC + ci: the im2col matrix, never stored.
fn readA(batch : i32, row : i32, k : i32) -> f16 {
  if (row >= uniforms.dimM || k >= uniforms.dimK) { return f16(0.0); }
  let inC = uniforms.xShape.w;
  let oy = row / uniforms.outShape.z;
  let ox = row - oy * uniforms.outShape.z;
  let tap = k / inC;
  let ci = k - tap * inC;
  let ky = tap / uniforms.wShape.y;
  let kx = tap - ky * uniforms.wShape.y;
  let iy = oy * uniforms.strides.x - uniforms.pads.x + ky * uniforms.dilations.x;
  let ix = ox * uniforms.strides.y - uniforms.pads.y + kx * uniforms.dilations.y;
  if (iy < 0 || iy >= uniforms.xShape.y || ix < 0 || ix >= uniforms.xShape.z) { return f16(0.0); }
  return toF16(x[((batch * uniforms.xShape.y + iy) * uniforms.xShape.z + ix) * inC + ci]);
}

// The filter [kh, kw, inC, outC] is already the [K, outC] matrix.
fn readB(k : i32, col : i32) -> f16 {
  if (k >= uniforms.dimK || col >= uniforms.outShape.w) { return f16(0.0); }
  return toF16(W[k * uniforms.outShape.w + col]);
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
