/**
 * Cityscapes label ids (the values of `*_gtFine_labelIds.png`, cityscapesScripts `labels.py`) → the 19
 * train ids, exactly HRNet-Semantic-Segmentation's `Cityscapes.label_mapping`; 255 = ignored.
 */
export const IGNORE_LABEL = 255;

/** The 19 evaluated classes, by train id. */
export const CITYSCAPES_CLASSES = [
  'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign', 'vegetation', 'terrain',
  'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle',
] as const;

/** The colour of each train id in cityscapesScripts' `labels.py` (RGB), for colour-coded masks. */
export const CITYSCAPES_PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153], [250, 170, 30],
  [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70],
  [0, 60, 100], [0, 80, 100], [0, 0, 230], [119, 11, 32],
];

/** label id → train id for ids 0…33 (lib/datasets/cityscapes.py). */
const TRAIN_ID_OF_LABEL_ID: Record<number, number> = {
  7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15,
  31: 16, 32: 17, 33: 18,
};

/** Largest label id of the table (`bicycle`). */
export const MAX_LABEL_ID = 33;

/**
 * Lookup table over all 256 byte values: ids 0…33 as the table, 255 (the license plate's −1 stored as a byte)
 * stays ignored; every other byte is outside the table (−2 here, rejected by {@link labelIdsToTrainIds}).
 */
export const LABEL_ID_TO_TRAIN_ID: Int16Array = (() => {
  const lut = new Int16Array(256).fill(-2);
  for (let id = 0; id <= MAX_LABEL_ID; id++) lut[id] = TRAIN_ID_OF_LABEL_ID[id] ?? IGNORE_LABEL;
  lut[255] = IGNORE_LABEL;
  return lut;
})();

/** The class weights train.py always passes to the loss (`Cityscapes.class_weights`), by train id. */
export const CITYSCAPES_CLASS_WEIGHTS: readonly number[] = [
  0.8373, 0.918, 0.866, 1.0345, 1.0166, 0.9969, 0.9754, 1.0489, 0.8786, 1.0023, 0.9539, 0.9843, 1.1116, 0.9037, 1.0865,
  1.0955, 1.0865, 1.1529, 1.0507,
];

/** The label id of each train id (the inverse mapping, for writing label-id PNGs such as predictions). */
export const LABEL_ID_OF_TRAIN_ID: readonly number[] = CITYSCAPES_CLASSES.map((_, t) => Number(Object.keys(TRAIN_ID_OF_LABEL_ID).find((k) => TRAIN_ID_OF_LABEL_ID[+k] === t)));

/** A label byte outside the Cityscapes table. */
export class LabelIdError extends Error {
  override name = 'LabelIdError';
  constructor(readonly file: string, readonly value: number, readonly index: number) {
    super(`${file}: label id ${value} at pixel ${index} is not a Cityscapes label id (0…${MAX_LABEL_ID}, or 255)`);
  }
}

/** Maps a label-id image to train ids (new array); `file` names the source in the error for unknown ids. */
export function labelIdsToTrainIds(ids: Uint8Array, file = '<labels>'): Uint8Array {
  const out = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const t = LABEL_ID_TO_TRAIN_ID[ids[i]];
    if (t < 0) throw new LabelIdError(file, ids[i], i);
    out[i] = t;
  }
  return out;
}
