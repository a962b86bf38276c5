/**
 * `get_final_preds` (lib/utils/transforms.py): maps the people's joint positions from the heatmap grid
 * (the base size) back to original image coordinates with the inverse of
 * `get_affine_transform(center, scale, 0, heatmapSize)`. Other columns are unchanged; results are float32
 * like the reference's.
 */
import { applyAffine, getAffineTransform, type Point2 } from '@hrnet/core';

export function getFinalPreds(
  people: readonly Float32Array[],
  center: Point2,
  scale: Point2,
  heatmapSize: Point2,
  numJoints = 17,
): Float32Array[] {
  const inv = getAffineTransform(center, scale, 0, heatmapSize, { inverse: true });
  return people.map((person) => {
    if (person.length % numJoints !== 0) throw new Error(`getFinalPreds: a person has ${person.length} values for ${numJoints} joints`);
    const stride = person.length / numJoints;
    const out = person.slice();
    for (let j = 0; j < numJoints; j++) {
      const [x, y] = applyAffine(inv, person[j * stride]!, person[j * stride + 1]!);
      out[j * stride] = x;
      out[j * stride + 1] = y;
    }
    return out;
  });
}
