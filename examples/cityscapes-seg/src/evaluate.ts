import * as tf from '@tensorflow/tfjs';
import { CITYSCAPES_CLASSES, cityscapesBatches, ConfusionMatrix, type CityscapesSample, type SegMetrics } from '@hrnet/data-cityscapes';
import { scoresToLabels, segmentImage } from '@hrnet/heads';
import { inferenceOptions, type SegConfig } from './config.js';
import { disposing } from './data.js';

export interface SegEvaluation {
  metrics: SegMetrics;
  /** Images scored. */
  images: number;
  /** Val samples left out as unusable (DATASET.BAD_SAMPLES skip), 'path: reason'. */
  leftOut: string[];
  flip: boolean;
  scales: number[];
  seconds: number;
}

/**
 * The official `testval`: every val image whole through `multi_scale_inference` (TEST.SCALE_LIST, TEST.FLIP_TEST,
 * sliding TRAIN.IMAGE_SIZE windows above scale 1), the argmax at label size into one confusion matrix; IoU per
 * class, mIoU, pixel and mean accuracy from it.
 */
export async function evaluateSegmentation(
  model: tf.LayersModel,
  cfg: SegConfig,
  samples: CityscapesSample[],
  opts: { flip?: boolean; scales?: number[]; onImage?: (done: number, total: number) => void } = {},
): Promise<SegEvaluation> {
  const t0 = performance.now();
  const inference = inferenceOptions(cfg, opts);
  const cm = new ConfusionMatrix(cfg.DATASET.NUM_CLASSES, cfg.TRAIN.IGNORE_LABEL);
  const leftOut: string[] = [];
  const onBadSample = cfg.DATASET.BAD_SAMPLES === 'skip' ? (_: CityscapesSample, e: Error) => leftOut.push(e.message) : undefined;
  let images = 0;
  for await (const b of disposing(cityscapesBatches(samples, 0, { batchSize: 1, onBadSample }))) {
    const pred = tf.tidy(() => {
      const scores = segmentImage(model, b.images, inference);
      return scoresToLabels(scores);
    });
    const [p, l] = await Promise.all([pred.data(), b.labels.data()]);
    pred.dispose();
    cm.update(p, l);
    images++;
    opts.onImage?.(images + leftOut.length, samples.length);
  }
  if (images === 0) throw new Error(`none of the ${samples.length} val images could be used`);
  return { metrics: cm.metrics(), images, leftOut, flip: inference.flip!, scales: inference.scales!, seconds: (performance.now() - t0) / 1000 };
}

/** The metrics as test.py logs them, then one line per class. */
export function formatMetrics({ metrics: m }: SegEvaluation): string {
  const pct = (v: number) => (100 * v).toFixed(2).padStart(6);
  const rows = CITYSCAPES_CLASSES.map((name, c) => `  ${name.padEnd(14)} ${pct(m.iou[c] ?? 0)}`);
  return [`MeanIU: ${m.meanIoU.toFixed(4)}, Pixel_Acc: ${m.pixelAccuracy.toFixed(4)}, Mean_Acc: ${m.meanAccuracy.toFixed(4)}`, '  class          IoU (%)', ...rows].join('\n');
}
