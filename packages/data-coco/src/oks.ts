import { COCO_KEYPOINT_SIGMAS } from '@hrnet/core';
import { npSum } from './numpy-compat.js';

/** Ground truth as OKS needs it: flat `[x, y, v] x K`, the `[x, y, w, h]` box and the segment `area`. */
export interface OksGroundTruth {
  readonly keypoints: ArrayLike<number>;
  readonly bbox: ArrayLike<number>;
  readonly area: number;
}

/** A detection as OKS needs it: flat `[x, y, score] x K` (the third value is not used). */
export interface OksDetection {
  readonly keypoints: ArrayLike<number>;
}

/** `np.spacing(1)`, added to the area as in pycocotools. */
const EPS = 2.220446049250313e-16;

/**
 * Object keypoint similarity between every detection (rows) and ground truth (columns), as
 * pycocotools `COCOeval.computeOks`: mean over the labelled gt joints (v > 0) of
 * `exp(-d^2 / (2 * area * (2 sigma)^2))`. A gt without labelled joints is compared with all K
 * detected joints by their distance outside its box enlarged by one box size on each side.
 * Returns a row-major `Float64Array` of `dts.length * gts.length`.
 */
export function computeOksMatrix(
  dts: readonly OksDetection[],
  gts: readonly OksGroundTruth[],
  sigmas: readonly number[] = COCO_KEYPOINT_SIGMAS,
): Float64Array {
  const K = sigmas.length;
  const G = gts.length;
  const vars = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const s2 = sigmas[k]! * 2;
    vars[k] = s2 * s2;
  }
  const out = new Float64Array(dts.length * G);
  const terms = new Float64Array(K);
  for (let j = 0; j < G; j++) {
    const gt = gts[j]!;
    const g = gt.keypoints;
    let k1 = 0;
    for (let k = 0; k < K; k++) if (g[3 * k + 2]! > 0) k1++;
    const bb = gt.bbox;
    const x0 = bb[0]! - bb[2]!;
    const x1 = bb[0]! + bb[2]! * 2;
    const y0 = bb[1]! - bb[3]!;
    const y1 = bb[1]! + bb[3]! * 2;
    const denom = gt.area + EPS;
    for (let i = 0; i < dts.length; i++) {
      const d = dts[i]!.keypoints;
      let n = 0;
      for (let k = 0; k < K; k++) {
        const xd = d[3 * k]!;
        const yd = d[3 * k + 1]!;
        let dx: number;
        let dy: number;
        if (k1 > 0) {
          if (!(g[3 * k + 2]! > 0)) continue;
          dx = xd - g[3 * k]!;
          dy = yd - g[3 * k + 1]!;
        } else {
          dx = Math.max(0, x0 - xd) + Math.max(0, xd - x1);
          dy = Math.max(0, y0 - yd) + Math.max(0, yd - y1);
        }
        const e = (dx * dx + dy * dy) / vars[k]! / denom / 2;
        terms[n++] = Math.exp(-e);
      }
      out[i * G + j] = npSum(terms, n) / n;
    }
  }
  return out;
}
