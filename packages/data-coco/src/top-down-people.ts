/**
 * The person list of top-down pose (MMPose `TopDownCocoDataset`): one entry per person box, from the ground-truth
 * annotations (`_load_coco_keypoint_annotations`) or from a COCO-format person detection file such as
 * `COCO_val2017_detections_AP_H_56_person.json` (`_load_coco_person_detection_results`).
 */
import { z } from 'zod';
import { CocoFormatError, issuesFromZod } from './coco-format-error.js';
import type { CocoKeypointsDataset } from './load-coco-keypoints.js';
import { readJsonFile } from './read-json-file.js';

/** One person box of an image: where to crop, its score, and (ground truth) its joints. */
export interface TopDownPerson {
  imageId: number;
  /** `[x, y, w, h]` in image pixels. */
  bbox: [number, number, number, number];
  /** 1 for ground-truth boxes, the detector's score otherwise. */
  score: number;
  /** `numJoints * 3` `[x, y, visible]` with visible = `min(1, v)`; zeros for detections. */
  joints: Float64Array;
}

export interface TopDownPeople {
  people: TopDownPerson[];
  /** Boxes left out because they have no area (after clipping to the image, for ground truth). */
  zeroArea: number;
}

/**
 * Ground-truth people as MMPose keeps them: the box clipped to the image (`clean_bbox`), kept when it has
 * area and the annotation has labelled keypoints. Boxes of zero area are counted in `zeroArea`.
 */
export function groundTruthPeople(dataset: CocoKeypointsDataset, imageIds: readonly number[] = dataset.images.map((i) => i.id)): TopDownPeople {
  const people: TopDownPerson[] = [];
  let zeroArea = 0;
  for (const imageId of imageIds) {
    const img = dataset.imagesById.get(imageId);
    if (!img) throw new Error(`${dataset.source}: no image with id ${imageId}`);
    for (const a of dataset.annotationsByImage.get(imageId) ?? []) {
      if (a.iscrowd) continue; // getAnnIds(iscrowd=False)
      const [x, y, w, h] = a.bbox;
      const x1 = Math.max(0, x);
      const y1 = Math.max(0, y);
      const x2 = Math.min(img.width - 1, x1 + Math.max(0, w - 1));
      const y2 = Math.min(img.height - 1, y1 + Math.max(0, h - 1));
      if (!(a.area > 0 && x2 > x1 && y2 > y1)) {
        zeroArea++;
        continue;
      }
      if (a.num_keypoints === 0 || Math.max(...a.keypoints) === 0) continue;
      const J = a.keypoints.length / 3;
      const joints = new Float64Array(J * 3);
      for (let j = 0; j < J; j++) {
        joints[j * 3] = a.keypoints[j * 3]!;
        joints[j * 3 + 1] = a.keypoints[j * 3 + 1]!;
        joints[j * 3 + 2] = Math.min(1, a.keypoints[j * 3 + 2]!);
      }
      people.push({ imageId, bbox: [x1, y1, x2 - x1, y2 - y1], score: 1, joints });
    }
  }
  return { people, zeroArea };
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

/** One record of a COCO-format detection results file. */
export const personDetectionSchema = z.looseObject({
  image_id: z.int(),
  category_id: z.int(),
  bbox: z.tuple([finite, finite, finite, finite]),
  score: finite,
});

export const personDetectionsSchema = z.array(personDetectionSchema);

export type PersonDetection = z.output<typeof personDetectionSchema>;

export interface LoadPersonDetectionsOptions {
  /** `data_cfg.det_bbox_thr`: detections scoring below it are left out. Default 0. */
  minScore?: number;
  numJoints?: number;
}

/**
 * Person boxes of a detection file (a JSON list of `{ image_id, category_id, bbox: [x, y, w, h], score }`): category 1
 * only, score >= `minScore`; boxes of zero (or negative) width or height are left out and counted in `zeroArea`.
 * A missing or malformed field, or an image id that `dataset` does not have, is a {@link CocoFormatError} naming the file
 * and the record (`dets.json: [3] (image_id 42).bbox: ...`).
 */
export async function loadPersonDetections(file: string, dataset: CocoKeypointsDataset, opts: LoadPersonDetectionsOptions = {}): Promise<TopDownPeople> {
  const raw = await readJsonFile(file);
  const parsed = personDetectionsSchema.safeParse(raw);
  const oneLine = (issues: { path: string; message: string }[]) =>
    new CocoFormatError(file, [{ path: issues[0]!.path, message: `${issues[0]!.message}${issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : ''}` }]);
  if (!parsed.success) throw oneLine(issuesFromZod(parsed.error, raw, 'results'));
  if (parsed.data.length === 0) throw new CocoFormatError(file, [{ path: '', message: 'no detections (an empty list)' }]);
  const unknown = parsed.data.flatMap((d, i) => (dataset.imagesById.has(d.image_id) ? [] : [{ path: `results[${i}].image_id`, message: `image id ${d.image_id} is not in ${dataset.source}` }]));
  if (unknown.length) throw oneLine(unknown);
  const J = opts.numJoints ?? 17;
  const people: TopDownPerson[] = [];
  let zeroArea = 0;
  for (const d of parsed.data) {
    if (d.category_id !== 1 || d.score < (opts.minScore ?? 0)) continue;
    if (!(d.bbox[2] > 0 && d.bbox[3] > 0)) {
      zeroArea++;
      continue;
    }
    people.push({ imageId: d.image_id, bbox: [...d.bbox], score: d.score, joints: new Float64Array(J * 3) });
  }
  return { people, zeroArea };
}
