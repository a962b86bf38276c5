import { IGNORE_LABEL } from './labels.js';

/** Per-class IoU, mIoU, pixel and mean accuracy, as HRNet-Semantic-Segmentation's testval. */
export interface SegMetrics {
  iou: number[];
  meanIoU: number;
  pixelAccuracy: number;
  meanAccuracy: number;
}

/**
 * The confusion matrix of `utils.get_confusion_matrix` (rows: ground truth, columns: prediction; ignore-label
 * pixels skipped), accumulated over images, and the metrics of `function.testval`:
 * IoU_c = tp / max(1, pos + res − tp) (a class absent from both counts 0 in the mean, as in the reference),
 * pixel accuracy = Σtp / Σpos, mean accuracy = mean(tp / max(1, pos)).
 */
export class ConfusionMatrix {
  readonly counts: Float64Array;

  constructor(readonly numClasses: number, readonly ignoreLabel = IGNORE_LABEL) {
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Adds one image (or batch): predicted and ground-truth train ids of the same length. */
  update(pred: ArrayLike<number>, label: ArrayLike<number>): void {
    const n = this.numClasses;
    if (pred.length !== label.length) throw new Error(`ConfusionMatrix.update: ${pred.length} predictions for ${label.length} labels`);
    for (let i = 0; i < label.length; i++) {
      const t = label[i];
      if (t === this.ignoreLabel) continue;
      const p = pred[i];
      if (!(t >= 0 && t < n)) throw new Error(`ConfusionMatrix.update: label ${t} at ${i} is outside 0…${n - 1} and not the ignore label ${this.ignoreLabel}`);
      if (!(p >= 0 && p < n)) throw new Error(`ConfusionMatrix.update: prediction ${p} at ${i} is outside 0…${n - 1}`);
      this.counts[t * n + p] += 1;
    }
  }

  /** Adds another matrix (e.g. of another worker). */
  merge(other: ConfusionMatrix): void {
    if (other.numClasses !== this.numClasses) throw new Error(`ConfusionMatrix.merge: ${other.numClasses} classes vs ${this.numClasses}`);
    other.counts.forEach((v, i) => (this.counts[i] += v));
  }

  metrics(): SegMetrics {
    const n = this.numClasses;
    const iou: number[] = [];
    const acc: number[] = [];
    let tpSum = 0;
    let posSum = 0;
    for (let c = 0; c < n; c++) {
      let pos = 0;
      let res = 0;
      for (let k = 0; k < n; k++) {
        pos += this.counts[c * n + k];
        res += this.counts[k * n + c];
      }
      const tp = this.counts[c * n + c];
      iou.push(tp / Math.max(1, pos + res - tp));
      acc.push(tp / Math.max(1, pos));
      tpSum += tp;
      posSum += pos;
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    return { iou, meanIoU: mean(iou), pixelAccuracy: posSum ? tpSum / posSum : 0, meanAccuracy: mean(acc) };
  }
}
