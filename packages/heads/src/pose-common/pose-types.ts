/** Pose results in the style of `@tensorflow-models/pose-detection`. */
import { COCO_KEYPOINT_NAMES } from '@hrnet/core';

export interface PoseKeypoint {
  /** Image coordinates in pixels (pixel centres at +0.5, as in COCO). */
  x: number;
  y: number;
  /** Heatmap value of the joint; 0 when it was not found (its x/y are then meaningless). */
  score: number;
  name: string;
}

export interface Pose {
  /** One entry per joint, in joint order. */
  keypoints: PoseKeypoint[];
  /** Mean of the joint values before refinement (HigherHRNet's person score). */
  score: number;
}

/**
 * People (`J x (3 + T)` rows `[x, y, value, tags..]` in image coordinates, see `getFinalPreds`) and their
 * scores as `Pose` objects.
 */
export function peopleToPoses(
  people: readonly Float32Array[],
  scores: readonly number[],
  names: readonly string[] = COCO_KEYPOINT_NAMES,
): Pose[] {
  const J = names.length;
  return people.map((person, i) => {
    const stride = person.length / J;
    if (!Number.isInteger(stride) || stride < 3) throw new Error(`peopleToPoses: a person has ${person.length} values for ${J} joints`);
    return {
      keypoints: names.map((name, j) => ({ x: person[j * stride]!, y: person[j * stride + 1]!, score: person[j * stride + 2]!, name })),
      score: scores[i]!,
    };
  });
}
