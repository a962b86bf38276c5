import type { Point2 } from '../image/affine-transform.js';

/** MMPose's `pixel_std`: scales are in units of 200 pixels. */
export const PIXEL_STD = 200;

/**
 * MMPose's `bbox_xywh2cs` (TopDownGetBboxCenterScale): the centre of an `[x, y, w, h]` box and its size grown to
 * the network's aspect ratio (`width / height` of `image_size`), in units of 200 px, times `padding` (1.25 in the
 * COCO configs). float32 like the reference's arrays. Top-down training crops and test-time crops share it.
 */
export function bboxToCenterScale(bbox: ArrayLike<number>, aspectRatio: number, padding = 1.25): { center: Point2; scale: Point2 } {
  const x = bbox[0]!;
  const y = bbox[1]!;
  let w = bbox[2]!;
  let h = bbox[3]!;
  const center: Point2 = [Math.fround(x + w * 0.5), Math.fround(y + h * 0.5)];
  if (w > aspectRatio * h) h = (w * 1.0) / aspectRatio;
  else if (w < aspectRatio * h) w = h * aspectRatio;
  return { center, scale: [Math.fround(Math.fround(w / PIXEL_STD) * padding), Math.fround(Math.fround(h / PIXEL_STD) * padding)] };
}
