import { CocoFormatError, type CocoFormatIssue } from './coco-format-error.js';
import type { CocoKeypointResult } from './coco-results.js';

/** A result after pycocotools `COCO.loadRes`: numbered from 1 in input order, with `area` and `bbox`. */
export interface PreparedDetection {
  readonly id: number;
  readonly image_id: number;
  readonly category_id: number;
  readonly score: number;
  readonly keypoints: readonly number[];
  readonly area: number;
  readonly bbox: readonly [number, number, number, number];
}

/**
 * Applies `COCO.loadRes` to keypoint results. As there, the first result decides for all:
 * if it has a non-empty `bbox`, every result's area is its box `w * h`; otherwise each box is
 * the extent of its K keypoints (all of them, whatever their score) and area is that box's
 * `w * h`. Results must refer to images of the ground truth. An empty list is allowed
 * (pycocotools would fail on it) and evaluates as "nothing detected".
 */
export function prepareDetections(
  results: readonly CocoKeypointResult[],
  gtImageIds: ReadonlySet<number> | ReadonlyMap<number, unknown>,
  options: { source?: string; numKeypoints?: number } = {},
): PreparedDetection[] {
  const source = options.source ?? '<results>';
  const issues: CocoFormatIssue[] = [];
  const where = (i: number, field: string) => `results[${i}] (image_id ${results[i]!.image_id}).${field}`;
  const first = results[0];
  const useBox = first !== undefined && first.bbox !== undefined && first.bbox.length > 0;
  if (first !== undefined && !useBox && 'segmentation' in first) {
    throw new CocoFormatError(source, [
      { path: where(0, 'segmentation'), message: 'segmentation results without a bbox are not supported (pycocotools would take the area from the mask)' },
    ]);
  }
  const out: PreparedDetection[] = new Array(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (!gtImageIds.has(r.image_id)) issues.push({ path: where(i, 'image_id'), message: `image ${r.image_id} is not in the ground truth` });
    const kps = r.keypoints;
    if (options.numKeypoints !== undefined && kps.length !== 3 * options.numKeypoints) {
      issues.push({ path: where(i, 'keypoints'), message: `expected ${3 * options.numKeypoints} numbers, got ${kps.length}` });
    }
    let bbox: [number, number, number, number];
    let area: number;
    if (useBox) {
      if (r.bbox === undefined || r.bbox.length !== 4) {
        issues.push({ path: where(i, 'bbox'), message: 'missing, but results[0] has a bbox, so every result needs one' });
        continue;
      }
      bbox = [r.bbox[0], r.bbox[1], r.bbox[2], r.bbox[3]];
      area = bbox[2] * bbox[3];
    } else {
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (let k = 0; k + 1 < kps.length; k += 3) {
        const x = kps[k]!, y = kps[k + 1]!;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      bbox = [x0, y0, x1 - x0, y1 - y0];
      area = (x1 - x0) * (y1 - y0);
    }
    out[i] = { id: i + 1, image_id: r.image_id, category_id: r.category_id, score: r.score, keypoints: kps, area, bbox };
  }
  if (issues.length > 0) throw new CocoFormatError(source, issues);
  return out;
}
