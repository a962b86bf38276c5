/**
 * Joint-index targets for the associative-embedding loss (`JointsGenerator`,
 * lib/dataset/target_generators/target_generators.py): an int32 array `maxPeople x numJoints x 2`.
 * Person p's labelled joints (v > 0) that fall inside the map (x = trunc(px), y = trunc(py) in
 * [0, res)) fill slots 0, 1, 2, ... in joint order with `[j*res*res + y*res + x, 1]` (without tag
 * per joint: `[y*res + x, 1]`); unused slots stay `[0, 0]`.
 *
 * The reference raises an IndexError for more than `maxPeople` people; here the extra people are
 * left out (their heatmaps are still drawn).
 */
export function generateJointIndices(
  joints: ArrayLike<number>,
  people: number,
  numJoints: number,
  res: number,
  maxPeople = 30,
  tagPerJoint = true,
  out?: Int32Array,
): Int32Array {
  const nodes = out ?? new Int32Array(maxPeople * numJoints * 2);
  if (out) nodes.fill(0, 0, maxPeople * numJoints * 2);
  const n = Math.min(people, maxPeople);
  for (let p = 0; p < n; p++) {
    let slot = 0;
    for (let j = 0; j < numJoints; j++) {
      const o = (p * numJoints + j) * 3;
      const x = Math.trunc(joints[o]);
      const y = Math.trunc(joints[o + 1]);
      if (joints[o + 2] > 0 && x >= 0 && y >= 0 && x < res && y < res) {
        const s = (p * numJoints + slot) * 2;
        nodes[s] = (tagPerJoint ? j * res * res : 0) + y * res + x;
        nodes[s + 1] = 1;
        slot++;
      }
    }
  }
  return nodes;
}
