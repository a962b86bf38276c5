import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  createCocoImageResolver,
  decodeRgb,
  evaluateKeypoints,
  imageIdListFile,
  loadCocoKeypoints,
  readImageIdList,
  writeCocoResults,
  type CocoKeypointResult,
  type KeypointEvaluation,
} from '@hrnet/data-coco';
import { estimatePoses, posesToCocoResults, type Pose, type PoseModel } from '@hrnet/heads';
import { decodeOptions, type PoseConfig } from './config.js';
import { annotationFile, checkDataRoot } from './data.js';

export interface EvaluatePoseOptions {
  /** Dataset root; the split is DATASET.TEST. */
  root: string;
  /** Flip test; default TEST.FLIP_TEST. */
  flip?: boolean;
  /** Test scales; default TEST.SCALE_FACTOR. */
  scales?: readonly number[];
  /** Evaluate only the first N images (in file order). */
  limit?: number;
  /** Where to write the results JSON (COCO results format); not written when absent. */
  resultsFile?: string;
  /** Called after each image (progress). */
  onImage?: (done: number, total: number) => void;
}

export interface PoseEvaluation {
  evaluation: KeypointEvaluation;
  /** The 10 COCO keypoint numbers, pycocotools order (AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl). */
  stats: number[];
  results: CocoKeypointResult[];
  /** Detected poses per image id. */
  poses: Map<number, Pose[]>;
  images: number;
  seconds: number;
}

/**
 * `tools/valid.py`: every image of DATASET.TEST through `estimatePoses` (resize to INPUT_SIZE, flip test, scales,
 * HeatmapParser grouping), the results in COCO's format, and COCO keypoint AP with `evaluateKeypoints`
 * (pycocotools' COCOeval numbers).
 */
export async function evaluatePose(model: PoseModel, cfg: PoseConfig, opts: EvaluatePoseOptions): Promise<PoseEvaluation> {
  const t0 = performance.now();
  const split = cfg.DATASET.TEST;
  await checkDataRoot(opts.root, split);
  const gt = await loadCocoKeypoints(annotationFile(opts.root, split));
  const resolve = createCocoImageResolver({ root: opts.root, split });
  // `<root>/val2017.txt` (DeepSpark's listing), when present, names the images to evaluate.
  const list = await imageIdListFile(opts.root, split);
  const listed = list ? new Set(await readImageIdList(list, gt)) : undefined;
  const images = (listed ? gt.images.filter((img) => listed.has(img.id)) : gt.images).slice(0, opts.limit);
  const estimate = {
    ...decodeOptions(cfg),
    flipTest: opts.flip ?? cfg.TEST.FLIP_TEST,
    scales: opts.scales ?? cfg.TEST.SCALE_FACTOR,
    inputSize: cfg.DATASET.INPUT_SIZE,
  };
  const results: CocoKeypointResult[] = [];
  const poses = new Map<number, Pose[]>();
  for (const [i, img] of images.entries()) {
    const rgb = await decodeRgb(resolve(img.file_name));
    const found = await estimatePoses(model, rgb, estimate);
    poses.set(img.id, found);
    results.push(...(posesToCocoResults(found, img.id) as CocoKeypointResult[]));
    opts.onImage?.(i + 1, images.length);
  }
  if (opts.resultsFile) {
    await mkdir(dirname(opts.resultsFile), { recursive: true });
    await writeCocoResults(opts.resultsFile, results);
  }
  const evaluation = await evaluateKeypoints(gt, results, { imgIds: images.map((i) => i.id) });
  return { evaluation, stats: [...evaluation.stats], results, poses, images: images.length, seconds: (performance.now() - t0) / 1000 };
}

/** Default results file name in an output folder, as the official code names it. */
export function resultsFileIn(dir: string, cfg: PoseConfig): string {
  return join(dir, 'results', `keypoints_${cfg.DATASET.TEST}_results.json`);
}

/** The AP table (`COCOeval.summarize()`'s ten lines) plus the markdown table the official valid.py logs. */
export function formatApTable(ev: KeypointEvaluation, name = 'pose_higher_hrnet'): string {
  const names = ['AP', 'Ap .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)', 'AR (L)'];
  const header = `| Arch | ${names.join(' | ')} |`;
  const rule = `|---|${names.map(() => '---').join('|')}|`;
  const row = `| ${name} | ${ev.stats.map((v) => v.toFixed(3)).join(' | ')} |`;
  return [...ev.summary, '', header, rule, row].join('\n');
}
