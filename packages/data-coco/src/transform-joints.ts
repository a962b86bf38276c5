/**
 * Joint arrays of the training pipeline: flat `Float64Array`s of `people * numJoints * 3` values
 * `[x, y, v]` (COCO keypoint order, v: 0 unlabelled, 1 occluded, 2 visible).
 */

/** Reads the `keypoints` of annotations into a joints array (v kept as given). */
export function jointsFromKeypoints(keypoints: readonly ArrayLike<number>[], numJoints: number): Float64Array {
  const out = new Float64Array(keypoints.length * numJoints * 3);
  keypoints.forEach((kp, p) => {
    if (kp.length !== numJoints * 3) throw new Error(`person ${p} has ${kp.length} keypoint numbers, expected ${numJoints * 3}`);
    for (let i = 0; i < numJoints * 3; i++) out[p * numJoints * 3 + i] = kp[i];
  });
  return out;
}

/**
 * Applies a 2x3 affine matrix `[a, b, c, d, e, f]` to every joint's (x, y), as the reference's
 * `_affine_joints` (unlabelled joints are moved too; v is unchanged).
 */
export function transformJoints(joints: ArrayLike<number>, m: ArrayLike<number>, out?: Float64Array): Float64Array {
  const res = out ?? new Float64Array(joints.length);
  for (let o = 0; o + 2 < joints.length; o += 3) {
    const x = joints[o];
    const y = joints[o + 1];
    res[o] = x * m[0] + y * m[1] + m[2];
    res[o + 1] = x * m[3] + y * m[4] + m[5];
    res[o + 2] = joints[o + 2];
  }
  return res;
}
