/**
 * Test-time input size, centre and scale of HigherHRNet (`get_multi_scale_size` in
 * lib/utils/transforms.py): the shorter image side becomes `inputSize * currentScale`
 * (rounded up to a multiple of 64 at the smallest scale) and the longer side is padded to a multiple of 64.
 */

/** `(v + 63) // 64 * 64`: `floor(v)` rounded up to a multiple of 64 (so 64.5 → 64), as the reference computes it. */
export function ceil64(v: number): number {
  return Math.floor((v + 63) / 64) * 64;
}

export interface MultiScaleSize {
  /** Network input size `[width, height]` at this scale. */
  size: [number, number];
  /** Image centre `[x, y]`: `int(w / 2 + 0.5)`, `int(h / 2 + 0.5)`. */
  center: [number, number];
  /** Box size in units of 200 px `[sx, sy]`; the affine transform only uses `sx`. */
  scale: [number, number];
}

/**
 * `get_multi_scale_size(image, input_size, current_scale, min_scale)` for an image of `width` x `height`.
 * With `currentScale` 1 this is also the "base size" the heatmaps are projected to.
 */
export function getMultiScaleSize(
  width: number,
  height: number,
  inputSize: number,
  currentScale: number,
  minScale: number,
): MultiScaleSize {
  if (!(width > 0 && height > 0)) throw new Error(`getMultiScaleSize: bad image size ${width}x${height}`);
  if (!(inputSize > 0 && currentScale > 0 && minScale > 0)) {
    throw new Error(`getMultiScaleSize: inputSize, currentScale and minScale must be > 0`);
  }
  const center: [number, number] = [Math.trunc(width / 2 + 0.5), Math.trunc(height / 2 + 0.5)];
  const minInputSize = ceil64(minScale * inputSize);
  let wResized: number;
  let hResized: number;
  let scaleW: number;
  let scaleH: number;
  if (width < height) {
    wResized = Math.trunc((minInputSize * currentScale) / minScale);
    hResized = Math.trunc((ceil64((minInputSize / width) * height) * currentScale) / minScale);
    scaleW = width / 200;
    scaleH = ((hResized / wResized) * width) / 200;
  } else {
    hResized = Math.trunc((minInputSize * currentScale) / minScale);
    wResized = Math.trunc((ceil64((minInputSize / height) * width) * currentScale) / minScale);
    scaleH = height / 200;
    scaleW = ((wResized / hResized) * height) / 200;
  }
  return { size: [wResized, hResized], center, scale: [scaleW, scaleH] };
}
