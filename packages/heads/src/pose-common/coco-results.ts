/**
 * COCO keypoint result records as HigherHRNet writes them (`_coco_keypoint_results_one_category_kernel` in
 * lib/dataset/COCODataset.py): one per person, `keypoints = [x, y, value] x J`, the person score, and
 * `bbox = [x, y, w, h]` spanning all J keypoints (missing ones included). No OKS-NMS, no rescoring.
 */
import type { Pose } from './pose-types.js';

export interface CocoKeypointRecord {
  image_id: number;
  category_id: number;
  keypoints: number[];
  score: number;
  bbox: [number, number, number, number];
}

function record(imageId: number, keypoints: number[], score: number, categoryId: number): CocoKeypointRecord {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < keypoints.length; k += 3) {
    x0 = Math.min(x0, keypoints[k]!);
    x1 = Math.max(x1, keypoints[k]!);
    y0 = Math.min(y0, keypoints[k + 1]!);
    y1 = Math.max(y1, keypoints[k + 1]!);
  }
  return { image_id: imageId, category_id: categoryId, keypoints, score, bbox: [x0, y0, x1 - x0, y1 - y0] };
}

/** Records from poses (e.g. `estimatePoses` results). */
export function posesToCocoResults(poses: readonly Pose[], imageId: number, categoryId = 1): CocoKeypointRecord[] {
  return poses.map((pose) =>
    record(
      imageId,
      pose.keypoints.flatMap((k) => [k.x, k.y, k.score]),
      pose.score,
      categoryId,
    ),
  );
}

/** Records from image-space people arrays (`J x (3 + T)`, see `getFinalPreds`) and their scores. */
export function peopleToCocoResults(
  people: readonly Float32Array[],
  scores: readonly number[],
  imageId: number,
  numJoints = 17,
  categoryId = 1,
): CocoKeypointRecord[] {
  return people.map((person, i) => {
    const stride = person.length / numJoints;
    const kps: number[] = [];
    for (let j = 0; j < numJoints; j++) kps.push(person[j * stride]!, person[j * stride + 1]!, person[j * stride + 2]!);
    return record(imageId, kps, scores[i]!, categoryId);
  });
}
