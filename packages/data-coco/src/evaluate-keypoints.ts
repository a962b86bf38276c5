import { accumulate } from './accumulate.js';
import { CocoFormatError, type CocoFormatIssue } from './coco-format-error.js';
import type { CocoKeypointsFileInput } from './coco-keypoints-schema.js';
import { loadCocoResults, parseCocoResults, type CocoKeypointResult } from './coco-results.js';
import { evaluateImage, type EvalDetection, type EvalGroundTruth, type ImageEvaluation } from './evaluate-image.js';
import {
  isCocoKeypointsDataset,
  loadCocoKeypoints,
  parseCocoKeypoints,
  type CocoKeypointsDataset,
} from './load-coco-keypoints.js';
import { argsortDescStable, linspace } from './numpy-compat.js';
import { COCO_KEYPOINT_SIGMAS } from '@hrnet/core';
import { computeOksMatrix } from './oks.js';
import { prepareDetections } from './prepare-detections.js';
import {
  apPerThreshold,
  formatKeypointSummary,
  KEYPOINT_STAT_NAMES,
  summarizeKeypoints,
  type KeypointStatName,
} from './summarize.js';

export interface EvaluateKeypointsOptions {
  /** Evaluate only these images (pycocotools `params.imgIds`); default every ground-truth image. */
  imgIds?: readonly number[];
  /** Evaluate only these categories (`params.catIds`); default every ground-truth category. */
  catIds?: readonly number[];
  /** Per-keypoint OKS sigmas (`params.kpt_oks_sigmas`); default the 17 COCO sigmas. */
  sigmas?: readonly number[];
}

/** The parameters pycocotools uses for iouType 'keypoints' (`Params.setKpParams`). */
export interface KeypointEvalParams {
  readonly imgIds: readonly number[];
  readonly catIds: readonly number[];
  /** `np.linspace(.5, .95, 10)`. */
  readonly iouThrs: readonly number[];
  /** `np.linspace(0, 1, 101)`. */
  readonly recThrs: readonly number[];
  readonly maxDets: readonly number[];
  readonly areaRng: readonly (readonly [number, number])[];
  readonly areaRngLbl: readonly string[];
  readonly sigmas: readonly number[];
}

/** OKS between the detections (rows, by descending score, at most maxDets) and the gts (columns, file order) of one image and category. */
export interface KeypointOksMatrix {
  readonly imageId: number;
  readonly categoryId: number;
  readonly dtIds: readonly number[];
  readonly gtIds: readonly number[];
  /**
   * Row-major `dtIds.length x gtIds.length` (`oks[i * gtIds.length + j]`); empty when the
   * image has no gt or no detection of the category (pycocotools stores `[]` then).
   */
  readonly oks: Float64Array;
}

export interface KeypointEvaluation {
  /** AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl (`COCOeval.stats`). */
  readonly stats: readonly number[];
  readonly statsByName: Readonly<Record<KeypointStatName, number>>;
  /** AP for area 'all' at each OKS threshold of `params.iouThrs`. */
  readonly apPerOksThreshold: readonly number[];
  /** `[T][R][K][A][M]` as `COCOeval.eval['precision']`; -1 where there is no ground truth. */
  readonly precision: number[][][][][];
  /** `[T][K][A][M]` as `COCOeval.eval['recall']`. */
  readonly recall: number[][][][];
  /** `[T][R][K][A][M]` as `COCOeval.eval['scores']`. */
  readonly scores: number[][][][][];
  /** `COCOeval.ious`, one entry per evaluated (image, category), image-major. */
  readonly ious: readonly KeypointOksMatrix[];
  /** The lines `COCOeval.summarize()` prints. */
  readonly summary: readonly string[];
  readonly params: KeypointEvalParams;
}

/** Ground truth: a loaded dataset, a raw COCO keypoints object, or a file path. */
export type KeypointGroundTruthInput = CocoKeypointsDataset | CocoKeypointsFileInput | string;
/** Detections: a results array or a results file path. */
export type KeypointResultsInput = readonly CocoKeypointResult[] | string;

function keypointParams(gt: CocoKeypointsDataset, opts: EvaluateKeypointsOptions): KeypointEvalParams {
  const uniqueSorted = (ids: Iterable<number>) => [...new Set(ids)].sort((a, b) => a - b);
  return {
    imgIds: uniqueSorted(opts.imgIds ?? gt.imagesById.keys()),
    catIds: uniqueSorted(opts.catIds ?? gt.categoriesById.keys()),
    iouThrs: linspace(0.5, 0.95, 10),
    recThrs: linspace(0, 1, 101),
    maxDets: [20],
    areaRng: [
      [0, 1e10],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e10],
    ],
    areaRngLbl: ['all', 'medium', 'large'],
    sigmas: opts.sigmas ?? COCO_KEYPOINT_SIGMAS,
  };
}

type PerImage<T> = Map<number, Map<number, T[]>>;

function push<T>(map: PerImage<T>, img: number, cat: number, item: T): void {
  let byCat = map.get(img);
  if (!byCat) map.set(img, (byCat = new Map()));
  let list = byCat.get(cat);
  if (!list) byCat.set(cat, (list = []));
  list.push(item);
}

const EMPTY: never[] = [];

function toNested(data: Float64Array, shape: readonly number[]): any {
  const build = (dim: number, offset: number): any => {
    const n = shape[dim]!;
    if (dim === shape.length - 1) return Array.from(data.subarray(offset, offset + n));
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

/**
 * Evaluates keypoint detections exactly as pycocotools `COCOeval(gt, dt, 'keypoints')`
 * followed by `evaluate()`, `accumulate()` and `summarize()`. Synchronous; takes a loaded
 * dataset and a results array. Only the `loadRes` checks (known image ids, keypoint count,
 * bbox presence) are applied to `results`: pass results that come from outside through
 * {@link parseCocoResults} first, as {@link evaluateKeypoints} does.
 */
export function evaluateKeypointsSync(
  gt: CocoKeypointsDataset,
  results: readonly CocoKeypointResult[],
  opts: EvaluateKeypointsOptions = {},
  resultsSource = '<results>',
): KeypointEvaluation {
  const p = keypointParams(gt, opts);
  const K = p.sigmas.length;
  const imgSet = new Set(p.imgIds);
  const catSet = new Set(p.catIds);

  // _prepare: gts and dts per (image, category), in file order
  const gts: PerImage<EvalGroundTruth> = new Map();
  const gtIssues: CocoFormatIssue[] = [];
  for (const imgId of p.imgIds) {
    for (const ann of gt.annotationsByImage.get(imgId) ?? EMPTY) {
      if (!catSet.has(ann.category_id)) continue;
      if (ann.keypoints.length !== 3 * K) {
        const i = gt.annotations.indexOf(ann);
        gtIssues.push({ path: `annotations[${i}] (id ${ann.id}).keypoints`, message: `expected ${3 * K} numbers for ${K} OKS sigmas, got ${ann.keypoints.length}` });
        continue;
      }
      const iscrowd = ann.iscrowd === 1;
      push(gts, imgId, ann.category_id, {
        id: ann.id,
        keypoints: ann.keypoints,
        bbox: ann.bbox,
        area: ann.area,
        iscrowd,
        ignore: ann.num_keypoints === 0 || iscrowd,
      });
    }
  }
  if (gtIssues.length > 0) throw new CocoFormatError(gt.source, gtIssues);

  const dts: PerImage<EvalDetection> = new Map();
  for (const d of prepareDetections(results, gt.imagesById, { source: resultsSource, numKeypoints: K })) {
    if (imgSet.has(d.image_id) && catSet.has(d.category_id)) push(dts, d.image_id, d.category_id, d);
  }

  // computeOks + evaluateImg for each (category, area range, image)
  const maxDet = p.maxDets[p.maxDets.length - 1]!;
  const I = p.imgIds.length;
  const A = p.areaRng.length;
  const evalImgs: (ImageEvaluation | null)[] = new Array(p.catIds.length * A * I).fill(null);
  const ious: KeypointOksMatrix[] = [];
  p.imgIds.forEach((imgId, i) => {
    p.catIds.forEach((catId, k) => {
      const g = gts.get(imgId)?.get(catId) ?? EMPTY;
      const dAll = dts.get(imgId)?.get(catId) ?? EMPTY;
      const d = Array.from(argsortDescStable(dAll.map((x) => x.score), maxDet), (j) => dAll[j]!);
      const oks = g.length > 0 && d.length > 0 ? computeOksMatrix(d, g, p.sigmas) : null;
      ious.push({
        imageId: imgId,
        categoryId: catId,
        dtIds: d.map((x) => x.id),
        gtIds: g.map((x) => x.id),
        oks: oks ?? new Float64Array(0),
      });
      for (let a = 0; a < A; a++) {
        evalImgs[k * A * I + a * I + i] = evaluateImage(imgId, catId, g, d, oks, p.areaRng[a]!, maxDet, p.iouThrs);
      }
    });
  });

  const acc = accumulate(evalImgs, { numCats: p.catIds.length, numAreas: A, numImages: I }, p.iouThrs, p.recThrs, p.maxDets);
  const stats = summarizeKeypoints(acc, p);
  const [T, R, Kc, Ac, M] = acc.shape;
  return {
    stats,
    statsByName: Object.fromEntries(KEYPOINT_STAT_NAMES.map((n, i) => [n, stats[i]!])) as Record<KeypointStatName, number>,
    apPerOksThreshold: apPerThreshold(acc, p),
    precision: toNested(acc.precision, acc.shape),
    recall: toNested(acc.recall, [T, Kc, Ac, M]),
    scores: toNested(acc.scores, [T, R, Kc, Ac, M]),
    ious,
    summary: formatKeypointSummary(stats, p),
    params: p,
  };
}

/**
 * `evaluateKeypoints(gt, dt, opts)`: pycocotools COCOeval for iouType 'keypoints'. `gt` is a
 * loaded dataset, a raw COCO keypoints object or an annotation file path; `dt` a results
 * array or a results file path. Inputs are validated; errors name the file and the field.
 */
export async function evaluateKeypoints(
  gt: KeypointGroundTruthInput,
  dt: KeypointResultsInput,
  opts: EvaluateKeypointsOptions = {},
): Promise<KeypointEvaluation> {
  const dataset = typeof gt === 'string' ? await loadCocoKeypoints(gt) : isCocoKeypointsDataset(gt) ? gt : parseCocoKeypoints(gt);
  const results = typeof dt === 'string' ? await loadCocoResults(dt) : parseCocoResults(dt);
  return evaluateKeypointsSync(dataset, results, opts, typeof dt === 'string' ? dt : '<results>');
}
