import { rleArea, rleToMask, type CocoRle } from './coco-rle.js';
import { bboxToPolygon, polygonToMask, polygonsToMask } from './polygon-mask.js';

/** A COCO `segmentation`: a list of polygons, or an RLE (uncompressed counts array or compressed string). */
export type CocoSegmentation = readonly (readonly number[])[] | CocoRle;

function isRle(seg: CocoSegmentation): seg is CocoRle {
  return !Array.isArray(seg);
}

/**
 * Rasterises a segmentation to a row-major `height*width` mask of 0/1 bytes, as pycocotools
 * `decode(frPyObjects(seg, h, w))` followed by a union over the polygons.
 *
 * - Polygons use pycocotools' coverage rule ({@link polygonToMask}). As in `frPyObjects`, a
 *   list whose first entry has exactly 4 numbers is read as a list of boxes `[x, y, w, h]`.
 * - An RLE must have `size` equal to [height, width] (pycocotools would fail to add masks of
 *   different shapes) and runs covering exactly h*w pixels.
 * - An empty polygon list gives an empty mask (pycocotools raises on it).
 *
 * `out` (optional) is ORed into rather than cleared, so several segmentations can be merged.
 */
export function segmentationToMask(seg: CocoSegmentation, height: number, width: number, out?: Uint8Array): Uint8Array {
  const mask = out ?? new Uint8Array(height * width);
  if (isRle(seg)) {
    const [h, w] = seg.size;
    if (h !== height || w !== width) {
      throw new Error(`RLE size [${h}, ${w}] differs from the image size [${height}, ${width}]`);
    }
    const m = rleToMask(seg);
    for (let i = 0; i < m.length; i++) mask[i] |= m[i];
    return mask;
  }
  if (seg.length === 0) return mask;
  if (seg[0].length === 4) {
    for (const box of seg) polygonsToMaskInto(mask, [bboxToPolygon(box)], height, width);
    return mask;
  }
  polygonsToMaskInto(mask, seg, height, width);
  return mask;
}

function polygonsToMaskInto(mask: Uint8Array, polys: readonly ArrayLike<number>[], h: number, w: number): void {
  if (polys.length === 1) {
    const m = polygonToMask(polys[0], h, w);
    for (let i = 0; i < m.length; i++) mask[i] |= m[i];
    return;
  }
  const m = polygonsToMask(polys, h, w);
  for (let i = 0; i < m.length; i++) mask[i] |= m[i];
}

/**
 * Pixel area of a segmentation as COCO computes `area` for its annotations: the sum of
 * pycocotools `area` over the polygons (overlaps count twice, as in COCO's own files), or the
 * RLE's area.
 */
export function segmentationArea(seg: CocoSegmentation, height: number, width: number): number {
  if (isRle(seg)) return rleArea(seg);
  let area = 0;
  const polys = seg.length > 0 && seg[0].length === 4 ? seg.map((b) => bboxToPolygon(b)) : seg;
  for (const p of polys) {
    const m = polygonToMask(p, height, width);
    for (let i = 0; i < m.length; i++) area += m[i];
  }
  return area;
}
