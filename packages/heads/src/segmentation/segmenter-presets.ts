import { CITYSCAPES_OHEM, type OhemOptions } from './segmentation-loss.js';

/** Input preprocessing as data: `x = (rgb / 255 − mean) / std` per channel (BaseDataset.input_transform). */
export interface SegPreprocessing {
  colorOrder: 'RGB';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** A published HRNet-Semantic-Segmentation experiment as data: network, preprocessing, train / test geometry, loss. */
export interface SegmenterPreset {
  /** Registry name of the backbone (`createSegmenter(preset.backbone, preset)`). */
  backbone: string;
  numClasses: number;
  alignCorners: boolean;
  preprocessing: SegPreprocessing;
  /** TRAIN: crop [h, w], BASE_SIZE, SCALE_FACTOR (scales 0.5 + k/10, k = 0…SCALE_FACTOR), FLIP, IGNORE_LABEL. */
  train: { crop: [number, number]; baseSize: number; scaleFactor: number; flip: boolean; ignoreLabel: number };
  /** TEST: image size [h, w] and BASE_SIZE. */
  test: { size: [number, number]; baseSize: number };
  /** LOSS: OHEM settings (or none); `classBalance`: the dataset's class weights go into the cross-entropy (train.py always passes them). */
  loss: { ohem?: OhemOptions; classBalance: boolean };
}

const IMAGENET: SegPreprocessing = { colorOrder: 'RGB', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** experiments/cityscapes/seg_hrnet_w48_train[_ohem]_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml. */
function cityscapesW48(ohem: boolean): SegmenterPreset {
  return {
    backbone: 'hrnet_w48',
    numClasses: 19,
    alignCorners: false,
    preprocessing: IMAGENET,
    train: { crop: [512, 1024], baseSize: 2048, scaleFactor: 16, flip: true, ignoreLabel: 255 },
    test: { size: [1024, 2048], baseSize: 2048 },
    loss: { ohem: ohem ? { ...CITYSCAPES_OHEM } : undefined, classBalance: true },
  };
}

const presets = new Map<string, SegmenterPreset>([
  ['hrnetv2_w48_cityscapes', cityscapesW48(false)],
  ['hrnetv2_w48_cityscapes_ohem', cityscapesW48(true)],
]);

export function listSegmenterPresets(): string[] {
  return [...presets.keys()].sort();
}

/** A copy of a preset; unknown names list the valid ones. */
export function segmenterPreset(name: string): SegmenterPreset {
  const p = presets.get(name);
  if (!p) throw new Error(`unknown segmentation preset '${name}'; valid: ${listSegmenterPresets().join(', ')}`);
  return structuredClone(p);
}
