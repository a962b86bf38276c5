/**
 * Top-down COCO evaluation (MMPose `TopDownCocoDataset.evaluate`): per image the person boxes (ground truth or a
 * detection file), crops, forward passes with the flip test, decoding, rescoring and OKS-NMS, the results in COCO's
 * format, and COCO keypoint AP with `evaluateKeypoints` (pycocotools' numbers).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { bboxToCenterScale, PIXEL_STD } from '@hrnet/core';
import {
  createCocoImageResolver,
  decodeRgb,
  evaluateKeypoints,
  groundTruthPeople,
  loadCocoKeypoints,
  loadPersonDetections,
  writeCocoResults,
  type CocoKeypointResult,
  type KeypointEvaluation,
  type TopDownPerson,
} from '@hrnet/data-coco';
import { cropPerson, estimateCropKeypoints, peopleToCocoResults, rescoreAndSuppress } from '@hrnet/heads';
import { splitOf, topDownCodec, valPipelineConfig, type TopDownExampleConfig } from './config.js';
import { annotationFile, checkDataRoot } from './data.js';

export interface EvaluateTopDownOptions {
  root: string;
  /** A COCO-format person detection file; default: data_cfg.use_gt_bbox ? ground-truth boxes : data_cfg.bbox_file. */
  bboxFile?: string;
  /** Use ground-truth boxes whatever the config says. */
  gtBoxes?: boolean;
  flip?: boolean;
  limit?: number;
  resultsFile?: string;
  log?: (line: string) => void;
  onImage?: (done: number, total: number) => void;
}

export interface TopDownEvaluation {
  evaluation: KeypointEvaluation;
  stats: number[];
  results: CocoKeypointResult[];
  images: number;
  boxes: number;
  seconds: number;
}

/** `data_cfg.bbox_file` as the configs write it (`data/coco/...`, under data_root): the same file under `root`. */
export function resolveBboxFile(cfg: TopDownExampleConfig, root: string): string {
  const f = cfg.data_cfg.bbox_file;
  const prefix = `${cfg.data_root.replace(/\/+$/, '')}/`;
  return f.startsWith(prefix) ? join(root, f.slice(prefix.length)) : f;
}

export async function evaluateTopDown(model: tf.LayersModel, cfg: TopDownExampleConfig, opts: EvaluateTopDownOptions): Promise<TopDownEvaluation> {
  const t0 = performance.now();
  const log = opts.log ?? ((l: string) => console.log(l));
  const split = splitOf(cfg.data.val);
  await checkDataRoot(opts.root, split);
  const gt = await loadCocoKeypoints(annotationFile(opts.root, split));
  const images = gt.images.slice(0, opts.limit ?? gt.images.length);
  const useGt = opts.gtBoxes ?? (!opts.bboxFile && cfg.data_cfg.use_gt_bbox);
  const bboxFile = opts.bboxFile ?? resolveBboxFile(cfg, opts.root);
  if (!useGt && !bboxFile) throw new Error('data_cfg.use_gt_bbox is false and no data_cfg.bbox_file / --bbox_file is given');
  const { people, zeroArea } = useGt
    ? groundTruthPeople(gt, images.map((i) => i.id))
    : await loadPersonDetections(bboxFile, gt, { minScore: cfg.data_cfg.det_bbox_thr });
  if (zeroArea) log(`[valid] left out ${zeroArea} person box(es) of zero area (${useGt ? 'ground truth' : bboxFile})`);
  const byImage = new Map<number, TopDownPerson[]>();
  for (const p of people) byImage.set(p.imageId, [...(byImage.get(p.imageId) ?? []), p]);
  const codec = topDownCodec(cfg);
  const { padding, mean, std } = valPipelineConfig(cfg);
  const [w, h] = cfg.data_cfg.image_size;
  const resolve = createCocoImageResolver({ root: opts.root, split });
  const t = cfg.model.test_cfg;
  const d = cfg.data_cfg;
  const results: CocoKeypointResult[] = [];
  let boxes = 0;
  for (const [i, img] of images.entries()) {
    const mine = byImage.get(img.id) ?? [];
    if (mine.length) {
      const rgb = await decodeRgb(resolve(img.file_name));
      const crops = mine.map((p) => {
        const { center, scale } = bboxToCenterScale(p.bbox, w / h, padding);
        return cropPerson(rgb, center, scale, [w, h], mean, std);
      });
      const keypoints = await estimateCropKeypoints(model, crops, codec, { flipTest: opts.flip ?? t.flip_test, batchSize: cfg.data.val_dataloader?.samples_per_gpu });
      const kept = rescoreAndSuppress(
        keypoints.map((k, n) => ({ keypoints: k, area: crops[n]!.scale[0] * PIXEL_STD * crops[n]!.scale[1] * PIXEL_STD, score: mine[n]!.score, boxScore: mine[n]!.score })),
        { visThr: d.vis_thr, oksThr: d.oks_thr, nms: d.use_nms },
      );
      const records = peopleToCocoResults(
        kept.map((p) => p.keypoints),
        kept.map((p) => p.score),
        img.id,
      );
      results.push(...(records as CocoKeypointResult[]));
      boxes += mine.length;
    }
    opts.onImage?.(i + 1, images.length);
  }
  if (opts.resultsFile) {
    await mkdir(dirname(opts.resultsFile), { recursive: true });
    await writeCocoResults(opts.resultsFile, results);
  }
  const evaluation = await evaluateKeypoints(gt, results, { imgIds: images.map((i) => i.id) });
  return { evaluation, stats: [...evaluation.stats], results, images: images.length, boxes, seconds: (performance.now() - t0) / 1000 };
}

/** The AP table (`COCOeval.summarize()`'s ten lines). */
export function formatApTable(ev: KeypointEvaluation): string {
  return ev.summary.join('\n');
}
