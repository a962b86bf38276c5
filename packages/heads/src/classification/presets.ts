import { IMAGENET_MEAN, IMAGENET_STD, listModels as listBackbones } from '@hrnet/core';
import type { ModelInfo, Preprocessing } from '../model-family.js';

/** timm's pretrained cfg of every HRNet classifier: 224 px, bilinear, crop_pct 0.875, ImageNet mean / std. */
export const CLASSIFIER_PREPROCESSING: Readonly<Preprocessing> = Object.freeze({
  inputSize: Object.freeze([224, 224] as const),
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  interpolation: 'bilinear',
  cropPct: 0.875,
});

/** The classifier presets: every backbone variant of @hrnet/core's registry (`hrnet_w18_small` … `hrnet_w64`). */
export function listClassifierPresets(): string[] {
  return listBackbones(undefined, { family: 'hrnet' });
}

export function classifierInfo(name: string): ModelInfo {
  if (!listClassifierPresets().includes(name)) throw new Error(`unknown classifier '${name}'; valid names: ${listClassifierPresets().join(', ')}`);
  return { name, family: 'classification', preprocessing: structuredClone(CLASSIFIER_PREPROCESSING) as Preprocessing };
}
