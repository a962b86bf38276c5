import { createRng } from '@hrnet/core';
import { describe, expect, it } from 'vitest';
import { CITYSCAPES_CLASSES, CITYSCAPES_CLASS_WEIGHTS, ConfusionMatrix, LABEL_ID_OF_TRAIN_ID, LabelIdError, labelIdsToTrainIds } from '../src/index.js';

describe('label ids → train ids', () => {
  it('is Cityscapes.label_mapping: 19 classes, everything else 255', () => {
    // cityscapes.py's dict, written out: id → train id for the 19 evaluated classes.
    const evaluated: Record<number, number> = { 7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18 };
    const ids = Uint8Array.from([...Array.from({ length: 34 }, (_, i) => i), 255]);
    const got = labelIdsToTrainIds(ids);
    ids.forEach((id, i) => expect(got[i], `id ${id}`).toBe(evaluated[id] ?? 255));
    expect(CITYSCAPES_CLASSES.length).toBe(19);
    expect(CITYSCAPES_CLASS_WEIGHTS.length).toBe(19);
    expect(LABEL_ID_OF_TRAIN_ID).toEqual(Object.keys(evaluated).map(Number));
  });

  it('rejects ids outside the table, naming the file, the value and the pixel', () => {
    expect(() => labelIdsToTrainIds(Uint8Array.from([7, 40]), 'a_gtFine_labelIds.png')).toThrow(LabelIdError);
    expect(() => labelIdsToTrainIds(Uint8Array.from([7, 40]), 'a_gtFine_labelIds.png')).toThrow(/a_gtFine_labelIds\.png: label id 40 at pixel 1 is not a Cityscapes label id/);
  });
});

/** numpy transcription of get_confusion_matrix + testval's formulas (independent loops). */
function reference(pred: number[], gt: number[], n: number) {
  const cm = Array.from({ length: n }, () => new Array(n).fill(0));
  gt.forEach((g, i) => {
    if (g !== 255) cm[g][pred[i]] += 1;
  });
  const pos = cm.map((r) => r.reduce((a, b) => a + b, 0));
  const res = cm[0].map((_, c) => cm.reduce((a, r) => a + r[c], 0));
  const tp = cm.map((r, i) => r[i]);
  const iou = tp.map((t, i) => t / Math.max(1, pos[i] + res[i] - t));
  return {
    iou,
    meanIoU: iou.reduce((a, b) => a + b, 0) / n,
    pixelAccuracy: tp.reduce((a, b) => a + b, 0) / pos.reduce((a, b) => a + b, 0),
    meanAccuracy: tp.map((t, i) => t / Math.max(1, pos[i])).reduce((a, b) => a + b, 0) / n,
  };
}

describe('ConfusionMatrix', () => {
  it('a hand-computed case: IoU per class, absent classes count 0 in the mean', () => {
    const cm = new ConfusionMatrix(3);
    // gt 0 0 0 1 1 255 ; pred 0 0 1 1 0 2
    cm.update([0, 0, 1, 1, 0, 2], [0, 0, 0, 1, 1, 255]);
    const m = cm.metrics();
    // class 0: tp 2, pos 3, res 3 → 2/4; class 1: tp 1, pos 2, res 2 → 1/3; class 2: absent → 0.
    expect(m.iou).toEqual([0.5, 1 / 3, 0]);
    expect(m.meanIoU).toBeCloseTo((0.5 + 1 / 3) / 3, 12);
    expect(m.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    expect(m.meanAccuracy).toBeCloseTo((2 / 3 + 1 / 2) / 3, 12);
  });

  it('equals the reference formulas on random predictions accumulated over images and merged', () => {
    const rng = createRng(5);
    const a = new ConfusionMatrix(19);
    const b = new ConfusionMatrix(19);
    const allP: number[] = [];
    const allG: number[] = [];
    for (let img = 0; img < 4; img++) {
      const g = Array.from({ length: 500 }, () => (rng.next() < 0.1 ? 255 : rng.int(12)));
      const p = g.map((v) => (v !== 255 && rng.next() < 0.7 ? v : rng.int(19)));
      (img % 2 ? a : b).update(p, g);
      allP.push(...p);
      allG.push(...g);
    }
    a.merge(b);
    const want = reference(allP, allG, 19);
    const got = a.metrics();
    got.iou.forEach((v, i) => expect(v).toBeCloseTo(want.iou[i], 12));
    expect(got.meanIoU).toBeCloseTo(want.meanIoU, 12);
    expect(got.pixelAccuracy).toBeCloseTo(want.pixelAccuracy, 12);
    expect(got.meanAccuracy).toBeCloseTo(want.meanAccuracy, 12);
  });

  it('rejects labels and predictions outside the classes', () => {
    const cm = new ConfusionMatrix(3);
    expect(() => cm.update([0], [7])).toThrow(/label 7 at 0 is outside 0…2 and not the ignore label 255/);
    expect(() => cm.update([5], [1])).toThrow(/prediction 5 at 0 is outside 0…2/);
    expect(() => cm.update([1, 2], [1])).toThrow(/2 predictions for 1 labels/);
  });
});
