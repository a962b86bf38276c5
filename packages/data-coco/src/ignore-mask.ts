import type { CocoKeypointAnnotation } from './coco-keypoints-schema.js';
import { segmentationToMask, type CocoSegmentation } from './segmentation-mask.js';

type MaskAnnotation = Pick<CocoKeypointAnnotation, 'iscrowd' | 'num_keypoints' | 'segmentation'>;

/**
 * The regions the bottom-up reference leaves out of the heatmap loss, at the image's own resolution
 * (`CocoKeypoints.get_mask`): the union of the segmentation of every crowd annotation and of
 * every non-crowd annotation with `num_keypoints == 0`. Row-major `height*width`, 1 = ignored.
 *
 * Both RLE forms and polygons are accepted for either kind (the reference only copes with what
 * COCO ships: RLE or polygons for crowds, polygons for the others). Annotations without a
 * segmentation add nothing.
 */
export function ignoreRegionMask(annotations: readonly MaskAnnotation[], height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (const ann of annotations) {
    if (!ann.segmentation) continue;
    if (ann.iscrowd || ann.num_keypoints === 0) segmentationToMask(ann.segmentation as CocoSegmentation, height, width, mask);
  }
  return mask;
}

/** The loss mask before augmentation: 1 where a pixel counts, 0 inside {@link ignoreRegionMask}. */
export function validPixelMask(annotations: readonly MaskAnnotation[], height: number, width: number): Uint8Array {
  const mask = ignoreRegionMask(annotations, height, width);
  for (let i = 0; i < mask.length; i++) mask[i] ^= 1;
  return mask;
}
