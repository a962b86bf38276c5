import { CocoFormatError, issuesFromZod } from './coco-format-error.js';
import {
  cocoKeypointsFileSchema,
  type CocoImage,
  type CocoKeypointAnnotation,
  type CocoKeypointCategory,
  type CocoKeypointsFile,
} from './coco-keypoints-schema.js';
import { checkRle, type CocoRle } from './coco-rle.js';
import { readJsonFile } from './read-json-file.js';

/**
 * A validated COCO keypoints file with its lookup tables. Nothing is dropped: crowd
 * annotations (`iscrowd: 1`) and annotations with `num_keypoints: 0` stay in every index,
 * since training turns them into ignore masks and evaluation into ignored ground truth.
 */
export interface CocoKeypointsDataset {
  /** The file it was read from, or the label given to {@link parseCocoKeypoints}. */
  readonly source: string;
  readonly data: CocoKeypointsFile;
  readonly images: readonly CocoImage[];
  readonly annotations: readonly CocoKeypointAnnotation[];
  readonly categories: readonly CocoKeypointCategory[];
  readonly imagesById: ReadonlyMap<number, CocoImage>;
  readonly annotationsById: ReadonlyMap<number, CocoKeypointAnnotation>;
  readonly categoriesById: ReadonlyMap<number, CocoKeypointCategory>;
  /** Every image id, in file order, mapped to its annotations in file order (`[]` when it has none). */
  readonly annotationsByImage: ReadonlyMap<number, readonly CocoKeypointAnnotation[]>;
}

/** Validates already-parsed JSON and indexes it. `source` labels error messages. */
export function parseCocoKeypoints(json: unknown, source = '<memory>'): CocoKeypointsDataset {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CocoFormatError(source, [{ path: '', message: 'expected a JSON object with images, annotations and categories' }]);
  }
  const parsed = cocoKeypointsFileSchema.safeParse(json);
  if (!parsed.success) throw new CocoFormatError(source, issuesFromZod(parsed.error, json));
  checkRles(parsed.data, source);
  return indexCocoKeypoints(parsed.data, source);
}

/** Reads, validates and indexes a COCO keypoints annotation file. */
export async function loadCocoKeypoints(file: string): Promise<CocoKeypointsDataset> {
  return parseCocoKeypoints(await readJsonFile(file), file);
}

/** Every RLE segmentation decodes and covers its size: found when the file opens, not mid-epoch. */
function checkRles(data: CocoKeypointsFile, source: string): void {
  const issues: { path: string; message: string }[] = [];
  data.annotations.forEach((ann, i) => {
    const seg = ann.segmentation;
    if (!seg || Array.isArray(seg)) return;
    try {
      checkRle(seg as CocoRle);
    } catch (err) {
      issues.push({ path: `annotations[${i}] (id ${ann.id}, image_id ${ann.image_id}).segmentation`, message: (err as Error).message });
    }
  });
  if (issues.length) throw new CocoFormatError(source, issues);
}

function indexCocoKeypoints(data: CocoKeypointsFile, source: string): CocoKeypointsDataset {
  const imagesById = new Map<number, CocoImage>();
  const annotationsByImage = new Map<number, CocoKeypointAnnotation[]>();
  for (const img of data.images) {
    imagesById.set(img.id, img);
    annotationsByImage.set(img.id, []);
  }
  const annotationsById = new Map<number, CocoKeypointAnnotation>();
  for (const ann of data.annotations) {
    annotationsById.set(ann.id, ann);
    annotationsByImage.get(ann.image_id)!.push(ann);
  }
  const categoriesById = new Map<number, CocoKeypointCategory>();
  for (const cat of data.categories) categoriesById.set(cat.id, cat);
  return {
    source,
    data,
    images: data.images,
    annotations: data.annotations,
    categories: data.categories,
    imagesById,
    annotationsById,
    categoriesById,
    annotationsByImage,
  };
}

/** True for a dataset returned by {@link parseCocoKeypoints} / {@link loadCocoKeypoints}. */
export function isCocoKeypointsDataset(value: unknown): value is CocoKeypointsDataset {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as CocoKeypointsDataset).annotationsByImage instanceof Map &&
    (value as CocoKeypointsDataset).imagesById instanceof Map
  );
}
