import type { ModelFamily, ModelInfo, ModelOptions } from '../model-family.js';
import { createSegmenter, type SegmenterOptions } from './create-segmenter.js';
import { initSegmenterWeights } from './init-segmenter.js';
import type { SegExtraInput } from './seg-config.js';
import { listSegmenterPresets, segmenterPreset } from './segmenter-presets.js';

/** Through `createModel` a family config needs `numClasses` and `alignCorners`; a preset name brings its own. */
export type SegmentationModelOptions = ModelOptions & Partial<SegmenterOptions>;

function info(name: string): ModelInfo {
  const p = segmenterPreset(name);
  return {
    name,
    family: 'segmentation',
    preprocessing: { inputSize: p.train.crop, mean: p.preprocessing.mean, std: p.preprocessing.std, interpolation: 'bilinear' },
  };
}

/** HRNetV2 semantic segmentation (HRNet-Semantic-Segmentation's published Cityscapes experiments). */
export const segmentationFamily: ModelFamily<SegExtraInput, SegmentationModelOptions> = {
  name: 'segmentation',
  presets: listSegmenterPresets,
  info,
  manualWeights:
    "the official Cityscapes checkpoints (hrnet_w48_cityscapes_cls19_1024x2048_trainset.pth, …) are linked from HRNet/HRNet-Semantic-Segmentation's README (OneDrive / Baidu): download one by hand and load it with loadPytorchWeights(model, file, { naming: 'hrnet-seg' })",
  create: (nameOrExtra, opts = {}) => {
    const { seed, ...rest } = opts;
    const preset = typeof nameOrExtra === 'string' ? segmenterPreset(nameOrExtra) : undefined;
    const model = createSegmenter(preset ? preset.backbone : nameOrExtra, {
      ...rest,
      numClasses: rest.numClasses ?? preset?.numClasses ?? NaN,
      alignCorners: rest.alignCorners ?? preset?.alignCorners ?? (undefined as never),
      name: rest.name ?? (typeof nameOrExtra === 'string' ? nameOrExtra : undefined),
    });
    if (seed != null) initSegmenterWeights(model, seed);
    return model;
  },
};
