/**
 * 2x3 affine transforms of the HRNet pose code bases (`get_affine_transform`, `affine_transform` in HigherHRNet's
 * lib/utils/transforms.py and MMPose's post_transforms.py, and OpenCV's `getAffineTransform`): HigherHRNet's test
 * flow and the top-down crops of training and test share them.
 *
 * A matrix is `[a, b, c, d, e, f]` (row-major 2x3): `x' = a x + b y + c`, `y' = d x + e y + f`.
 */

export type Affine2x3 = [number, number, number, number, number, number];
export type Point2 = [number, number];

const f32 = Math.fround;

/**
 * The affine transform that maps three source points onto three destination points, solved in double
 * precision by Gaussian elimination with partial pivoting (the LU solve OpenCV's `getAffineTransform` uses).
 */
export function affineFromPoints(src: readonly Point2[], dst: readonly Point2[]): Affine2x3 {
  if (src.length !== 3 || dst.length !== 3) throw new Error('affineFromPoints: need exactly 3 point pairs');
  // Unknowns X = [a b c d e f]; rows 2i: [x y 1 0 0 0] = x'_i, rows 2i+1: [0 0 0 x y 1] = y'_i.
  const m = 6;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  for (let i = 0; i < 3; i++) {
    const [x, y] = src[i]!;
    const r0 = 2 * i * m;
    const r1 = (2 * i + 1) * m;
    a[r0] = x;
    a[r0 + 1] = y;
    a[r0 + 2] = 1;
    a[r1 + 3] = x;
    a[r1 + 4] = y;
    a[r1 + 5] = 1;
    b[2 * i] = dst[i]![0];
    b[2 * i + 1] = dst[i]![1];
  }
  for (let i = 0; i < m; i++) {
    let p = i;
    for (let j = i + 1; j < m; j++) if (Math.abs(a[j * m + i]!) > Math.abs(a[p * m + i]!)) p = j;
    if (Math.abs(a[p * m + i]!) < 1e-300) throw new Error('affineFromPoints: the source points are collinear');
    if (p !== i) {
      for (let k = 0; k < m; k++) {
        const t = a[i * m + k]!;
        a[i * m + k] = a[p * m + k]!;
        a[p * m + k] = t;
      }
      const t = b[i]!;
      b[i] = b[p]!;
      b[p] = t;
    }
    const d = -1 / a[i * m + i]!;
    for (let j = i + 1; j < m; j++) {
      const alpha = a[j * m + i]! * d;
      for (let k = i + 1; k < m; k++) a[j * m + k] = a[j * m + k]! + alpha * a[i * m + k]!;
      b[j] = b[j]! + alpha * b[i]!;
    }
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < m; k++) s -= a[i * m + k]! * b[k]!;
    b[i] = s / a[i * m + i]!;
  }
  return [b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!];
}

/** `affine_transform(pt, t)`: applies a 2x3 matrix to a point. */
export function applyAffine(m: Affine2x3, x: number, y: number): Point2 {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

function rotate(p: Point2, rad: number): Point2 {
  const sn = Math.sin(rad);
  const cs = Math.cos(rad);
  return [p[0] * cs - p[1] * sn, p[0] * sn + p[1] * cs];
}

/** `get_3rd_point` in float32: b + rot90(a - b). */
function thirdPoint(a: Point2, b: Point2): Point2 {
  const d0 = f32(a[0] - b[0]);
  const d1 = f32(a[1] - b[1]);
  return [f32(b[0] + f32(-d1)), f32(b[1] + d0)];
}

export interface AffineTransformOptions {
  /** Shift of the source centre in units of the box size (default `[0, 0]`). */
  shift?: Point2;
  /** Return the inverse map (output → source) instead. */
  inverse?: boolean;
}

/**
 * `get_affine_transform(center, scale, rot, output_size, shift, inv)`: maps the box of width
 * `200 * scale[0]` centred on `center`, rotated by `rot` degrees, onto an `outputSize = [w, h]` image,
 * centre to centre, with uniform zoom `w / (200 * scale[0])`. (`scale[1]` is not used.) The three anchor
 * points are rounded to float32 as the reference does.
 */
export function getAffineTransform(
  center: Point2,
  scale: number | Point2,
  rot: number,
  outputSize: Point2,
  opts: AffineTransformOptions = {},
): Affine2x3 {
  const [sx, sy] = typeof scale === 'number' ? [scale, scale] : scale;
  const shift = opts.shift ?? [0, 0];
  const scaleTmp: Point2 = [sx * 200, sy * 200];
  const srcW = scaleTmp[0];
  const [dstW, dstH] = outputSize;
  const rotRad = (Math.PI * rot) / 180;
  const srcDir = rotate([0, srcW * -0.5], rotRad);
  const dstDir: Point2 = [0, f32(dstW * -0.5)];
  const shifted: Point2 = [scaleTmp[0] * f32(shift[0]), scaleTmp[1] * f32(shift[1])];

  const src0: Point2 = [f32(center[0] + shifted[0]), f32(center[1] + shifted[1])];
  const src1: Point2 = [f32(center[0] + srcDir[0] + shifted[0]), f32(center[1] + srcDir[1] + shifted[1])];
  const dst0: Point2 = [f32(dstW * 0.5), f32(dstH * 0.5)];
  const dst1: Point2 = [f32(dstW * 0.5 + dstDir[0]), f32(dstH * 0.5 + dstDir[1])];
  const src = [src0, src1, thirdPoint(src0, src1)];
  const dst = [dst0, dst1, thirdPoint(dst0, dst1)];
  return opts.inverse ? affineFromPoints(dst, src) : affineFromPoints(src, dst);
}
