/**
 * The top-down evaluation's post-processing (MMPose `TopDownCocoDataset.evaluate`): rescoring (box score x the mean
 * of the joint scores above `vis_thr`) and OKS non-maximum suppression per image (`oks_nms` / `oks_iou`).
 */
import { COCO_KEYPOINT_SIGMAS } from '@hrnet/core';

/** One person crop's prediction. */
export interface TopDownPrediction {
  /** `[x, y, score] x J` in image pixels. */
  keypoints: Float32Array;
  /** Area of the crop box (`prod(scale * 200)`), the OKS scale. */
  area: number;
  /** Score: the detection box's, or after {@link rescore} the rescored one. */
  score: number;
}

/** Box score x mean joint score over joints scoring above `visThr` (0 when none does). */
export function rescore(keypoints: ArrayLike<number>, boxScore: number, visThr: number): number {
  let sum = 0;
  let count = 0;
  for (let k = 2; k < keypoints.length; k += 3) {
    const s = keypoints[k]!;
    if (s > visThr) {
      sum += s;
      count++;
    }
  }
  return (count ? sum / count : 0) * boxScore;
}

/** `oks_iou`: OKS of `g` against each of `ds` (areas averaged, `np.spacing(1)` guarding 0); `visThr` keeps joints visible in both. */
function oksIou(g: TopDownPrediction, ds: TopDownPrediction[], sigmas: readonly number[], visThr?: number): Float32Array {
  const J = sigmas.length;
  const out = new Float32Array(ds.length);
  ds.forEach((d, n) => {
    let sum = 0;
    let count = 0;
    const s = (g.area + d.area) / 2 + 2.220446049250313e-16;
    for (let j = 0; j < J; j++) {
      if (visThr !== undefined && !(g.keypoints[j * 3 + 2]! > visThr && d.keypoints[j * 3 + 2]! > visThr)) continue;
      const dx = d.keypoints[j * 3]! - g.keypoints[j * 3]!;
      const dy = d.keypoints[j * 3 + 1]! - g.keypoints[j * 3 + 1]!;
      const v = (sigmas[j]! * 2) ** 2;
      sum += Math.exp(-((dx * dx + dy * dy) / v / s / 2));
      count++;
    }
    out[n] = count ? sum / count : 0;
  });
  return out;
}

/**
 * `oks_nms(kpts_db, thr)`: indices kept, highest score first; a prediction goes when its OKS with a kept one
 * exceeds `thr` (0.9 in the COCO configs).
 */
export function oksNms(preds: readonly TopDownPrediction[], thr: number, sigmas: readonly number[] = COCO_KEYPOINT_SIGMAS, visThr?: number): number[] {
  // argsort()[::-1]: ascending stable sort reversed, so equal scores keep the later one first.
  let order = preds.map((_, i) => i).sort((a, b) => preds[a]!.score - preds[b]!.score || a - b).reverse();
  const keep: number[] = [];
  while (order.length > 0) {
    const i = order[0]!;
    keep.push(i);
    const rest = order.slice(1);
    const ovr = oksIou(preds[i]!, rest.map((k) => preds[k]!), sigmas, visThr);
    order = rest.filter((_, k) => ovr[k]! <= thr);
  }
  return keep;
}
