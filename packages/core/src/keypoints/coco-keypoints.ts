/**
 * The COCO person-keypoint definition, in one place for the model families (@hrnet/heads) and the data
 * packages (@hrnet/data-coco), which both depend on core.
 */

/** COCO joint order (`categories[0].keypoints` of person_keypoints_*.json). */
export const COCO_KEYPOINT_NAMES: readonly string[] = Object.freeze([
  'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow',
  'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
]);

/** COCO's left/right permutation (HigherHRNet's `FLIP_CONFIG['COCO']`). */
export const COCO_FLIP_INDEX: readonly number[] = Object.freeze([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]);

/** COCO's person skeleton (1-based joint pairs), as in person_keypoints_*.json. */
export const COCO_SKELETON: readonly [number, number][] = Object.freeze([
  [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11],
  [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
] as [number, number][]);

/** The 17 COCO keypoint sigmas (pycocotools `kpt_oks_sigmas`): `[.26, .25, ...] / 10`. */
export const COCO_KEYPOINT_SIGMAS: readonly number[] = Object.freeze(
  [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89].map((s) => s / 10),
);
