import { z } from 'zod';
import { numberArray } from './zod-number-array.js';

/**
 * zod schema of a COCO keypoints annotation file (`person_keypoints_{train,val}2017.json`).
 *
 * Structure is checked field by field; the cross-field rules (keypoint count per category,
 * known image and category ids, unique ids, skeleton indices, visibility flags) are checked in
 * a refinement so that every message points at one field of one element. Unknown fields are
 * kept (COCO files carry `license`, `coco_url`, `flickr_url`, ...).
 */

const finite = z.number();
const id = z.int();

export const cocoImageSchema = z.looseObject({
  id,
  file_name: z.string().min(1),
  width: z.int().positive(),
  height: z.int().positive(),
});

const polygons = z.array(numberArray());
const rle = z.looseObject({
  counts: z.union([z.string(), numberArray({ integer: true, nonnegative: true })]),
  size: z.tuple([z.int().nonnegative(), z.int().nonnegative()]),
});

export const cocoKeypointAnnotationSchema = z.looseObject({
  id,
  image_id: id,
  category_id: id,
  iscrowd: z.union([z.literal(0), z.literal(1)]),
  area: finite.nonnegative(),
  bbox: z.tuple([finite, finite, finite.nonnegative(), finite.nonnegative()]),
  segmentation: z.union([polygons, rle]).optional(),
  num_keypoints: z.int().nonnegative(),
  /** Flat `[x1, y1, v1, x2, y2, v2, ...]`, three numbers per keypoint of the category. */
  keypoints: numberArray(),
});

export const cocoKeypointCategorySchema = z.looseObject({
  id,
  name: z.string(),
  supercategory: z.string().optional(),
  keypoints: z.array(z.string()).min(1),
  /** Pairs of 1-based keypoint indices. */
  skeleton: z.array(z.tuple([z.int(), z.int()])).default([]),
});

type Ctx = Pick<z.RefinementCtx<unknown>, 'addIssue'>;

function checkUniqueIds(list: readonly { id: number }[], field: string, ctx: Ctx): void {
  const first = new Map<number, number>();
  list.forEach((item, i) => {
    const prev = first.get(item.id);
    if (prev === undefined) first.set(item.id, i);
    else ctx.addIssue({ code: 'custom', path: [field, i, 'id'], message: `duplicate id ${item.id} (first used by ${field}[${prev}])` });
  });
}

export const cocoKeypointsFileSchema = z
  .looseObject({
    info: z.record(z.string(), z.unknown()).optional(),
    licenses: z.array(z.unknown()).optional(),
    images: z.array(cocoImageSchema),
    annotations: z.array(cocoKeypointAnnotationSchema),
    categories: z.array(cocoKeypointCategorySchema).min(1),
  })
  .superRefine((data, ctx) => {
    checkUniqueIds(data.images, 'images', ctx);
    checkUniqueIds(data.annotations, 'annotations', ctx);
    checkUniqueIds(data.categories, 'categories', ctx);

    const jointsPerCategory = new Map<number, number>();
    data.categories.forEach((cat, c) => {
      jointsPerCategory.set(cat.id, cat.keypoints.length);
      cat.skeleton.forEach(([a, b], s) => {
        if (a < 1 || b < 1 || a > cat.keypoints.length || b > cat.keypoints.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['categories', c, 'skeleton', s],
            message: `keypoint indices are 1-based and must lie in 1..${cat.keypoints.length}, got [${a}, ${b}]`,
          });
        }
      });
    });
    const imageIds = new Set(data.images.map((img) => img.id));

    data.annotations.forEach((ann, i) => {
      if (!imageIds.has(ann.image_id)) {
        ctx.addIssue({ code: 'custom', path: ['annotations', i, 'image_id'], message: `no image with id ${ann.image_id}` });
      }
      const joints = jointsPerCategory.get(ann.category_id);
      if (joints === undefined) {
        ctx.addIssue({ code: 'custom', path: ['annotations', i, 'category_id'], message: `no category with id ${ann.category_id}` });
        return;
      }
      if (ann.keypoints.length !== 3 * joints) {
        ctx.addIssue({
          code: 'custom',
          path: ['annotations', i, 'keypoints'],
          message: `expected ${3 * joints} numbers, got ${ann.keypoints.length}`,
        });
        return;
      }
      for (let j = 2; j < ann.keypoints.length; j += 3) {
        const v = ann.keypoints[j]!;
        if (v !== 0 && v !== 1 && v !== 2) {
          ctx.addIssue({
            code: 'custom',
            path: ['annotations', i, 'keypoints', j],
            message: `visibility flag of keypoint ${(j - 2) / 3} must be 0, 1 or 2, got ${v}`,
          });
          return;
        }
      }
    });
  });

export type CocoImage = z.infer<typeof cocoImageSchema>;
export type CocoKeypointAnnotation = z.infer<typeof cocoKeypointAnnotationSchema>;
export type CocoKeypointCategory = z.infer<typeof cocoKeypointCategorySchema>;
/** A validated COCO keypoints file. */
export type CocoKeypointsFile = z.infer<typeof cocoKeypointsFileSchema>;
/** What a COCO keypoints file may look like before validation (e.g. `skeleton` may be missing). */
export type CocoKeypointsFileInput = z.input<typeof cocoKeypointsFileSchema>;
