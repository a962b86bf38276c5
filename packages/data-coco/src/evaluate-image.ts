import type { OksDetection, OksGroundTruth } from './oks.js';

/** A ground-truth annotation as the matcher sees it. */
export interface EvalGroundTruth extends OksGroundTruth {
  readonly id: number;
  readonly iscrowd: boolean;
  /** `iscrowd` or `num_keypoints == 0`: may absorb detections, never counts as a miss. */
  readonly ignore: boolean;
}

/** A detection as the matcher sees it. */
export interface EvalDetection extends OksDetection {
  readonly id: number;
  readonly score: number;
  readonly area: number;
}

/** pycocotools' per-image, per-category, per-area-range record (`evalImgs` element). */
export interface ImageEvaluation {
  readonly imageId: number;
  readonly categoryId: number;
  readonly areaRange: readonly [number, number];
  readonly maxDet: number;
  /** Detections by descending score (stable), at most `maxDet`. */
  readonly dtIds: readonly number[];
  /** Ground truth with the ignored ones (for this area range) moved last, stable. */
  readonly gtIds: readonly number[];
  readonly dtScores: readonly number[];
  /** `[T x D]` row-major: id of the matched gt per threshold, 0 if unmatched. */
  readonly dtMatches: readonly number[];
  /** `[T x G]` row-major: id of the matched detection per threshold, 0 if unmatched. */
  readonly gtMatches: readonly number[];
  readonly gtIgnore: readonly number[];
  /** `[T x D]` row-major. */
  readonly dtIgnore: readonly number[];
}

/** A packed array of zeros (cheaper to make and to collect than `new Array(n).fill(0)` or a small typed array). */
function zeros(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

/**
 * `COCOeval.evaluateImg`: greedy matching per OKS threshold. `dts` are already sorted by
 * descending score and cut to `maxDets[-1]`; `oks` is `[dts x gts]` with gts in file order.
 * Returns null when the image has neither ground truth nor detections.
 */
export function evaluateImage(
  imageId: number,
  categoryId: number,
  gts: readonly EvalGroundTruth[],
  dts: readonly EvalDetection[],
  oks: Float64Array | null,
  areaRange: readonly [number, number],
  maxDet: number,
  iouThrs: readonly number[],
): ImageEvaluation | null {
  if (gts.length === 0 && dts.length === 0) return null;
  const [lo, hi] = areaRange;
  const G = gts.length;
  const Gcols = G;
  // gt order: not ignored first, then ignored, each in file order (stable argsort of 0/1).
  const flags: number[] = gts.map((g) => (g.ignore || g.area < lo || g.area > hi ? 1 : 0));
  const gtind: number[] = [];
  for (let j = 0; j < G; j++) if (flags[j] === 0) gtind.push(j);
  for (let j = 0; j < G; j++) if (flags[j] === 1) gtind.push(j);
  const gtIgnore: number[] = new Array(G);
  const iscrowd: boolean[] = new Array(G);
  const gtIds: number[] = new Array(G);
  for (let g = 0; g < G; g++) {
    const src = gts[gtind[g]!]!;
    gtIgnore[g] = flags[gtind[g]!]!;
    iscrowd[g] = src.iscrowd;
    gtIds[g] = src.id;
  }
  const D = Math.min(dts.length, maxDet);
  const T = iouThrs.length;
  const dtMatches = zeros(T * D);
  const gtMatches = zeros(T * G);
  const dtIgnore = zeros(T * D);
  const dtScores: number[] = new Array(D);
  const dtIds: number[] = new Array(D);
  for (let d = 0; d < D; d++) {
    dtScores[d] = dts[d]!.score;
    dtIds[d] = dts[d]!.id;
  }

  if (oks !== null && G > 0 && D > 0) {
    for (let t = 0; t < T; t++) {
      const gtm = t * G;
      const dtm = t * D;
      for (let d = 0; d < D; d++) {
        let best = Math.min(iouThrs[t]!, 1 - 1e-10);
        let m = -1;
        const row = d * Gcols;
        for (let g = 0; g < G; g++) {
          // a gt already taken at this threshold is skipped, unless it is a crowd region
          if (gtMatches[gtm + g]! > 0 && !iscrowd[g]) continue;
          // once matched to a regular gt, stop at the first ignored one
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
          const v = oks[row + gtind[g]!]!;
          if (v < best) continue;
          best = v;
          m = g;
        }
        if (m === -1) continue;
        dtIgnore[dtm + d] = gtIgnore[m]!;
        dtMatches[dtm + d] = gtIds[m]!;
        gtMatches[gtm + m] = dtIds[d]!;
      }
    }
  }
  // unmatched detections outside the area range are ignored
  for (let d = 0; d < D; d++) {
    const a = dts[d]!.area;
    if (!(a < lo || a > hi)) continue;
    for (let t = 0; t < T; t++) if (dtMatches[t * D + d] === 0) dtIgnore[t * D + d] = 1;
  }
  return { imageId, categoryId, areaRange, maxDet, dtIds, gtIds, dtScores, dtMatches, gtMatches, gtIgnore, dtIgnore };
}
