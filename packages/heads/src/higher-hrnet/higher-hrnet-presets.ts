import { COCO_FLIP_INDEX, IMAGENET_MEAN, IMAGENET_STD } from '@hrnet/core';
import type { ModelInfo, Preprocessing } from '../model-family.js';
import { parseHigherHrnetConfig, type HigherHrnetConfig, type HigherHrnetConfigInput } from './higher-hrnet-config.js';
import type { HigherHrnetTargetConfig } from './target-encoder.js';

/** A published HigherHRNet configuration: the MODEL and LOSS blocks, the input preparation and the training targets. */
export interface HigherHrnetPreset {
  config: HigherHrnetConfigInput;
  /**
   * DATASET.INPUT_SIZE as `inputSize` (square training crops and the test-time base size; any multiple of 32 runs),
   * ImageNet mean / std, the OpenCV bilinear warp, COCO's flip permutation.
   */
  preprocessing: Preprocessing;
  /** DATASET.OUTPUT_SIZE (1/4 and 1/2 of the input), SIGMA, MAX_NUM_PEOPLE, … : what the codec encodes. */
  targets: HigherHrnetTargetConfig;
}

const stage = (modules: number, widths: number[]) => ({
  NUM_MODULES: modules,
  NUM_BRANCHES: widths.length,
  BLOCK: 'BASIC' as const,
  NUM_BLOCKS: widths.map(() => 4),
  NUM_CHANNELS: widths,
  FUSE_METHOD: 'SUM' as const,
});

/** `experiments/coco/higher_hrnet/w{c}_*_adam_lr1e-3.yaml`: the MODEL and LOSS blocks differ only in width. */
function published(c: number, inputSize: number, pretrained: string): HigherHrnetPreset {
  const w = [c, 2 * c, 4 * c, 8 * c];
  return {
    preprocessing: { inputSize: [inputSize, inputSize], mean: IMAGENET_MEAN, std: IMAGENET_STD, interpolation: 'bilinear', flipIndex: COCO_FLIP_INDEX },
    targets: {
      numJoints: 17,
      outputSizes: [inputSize / 4, inputSize / 2],
      sigma: 2,
      maxPeople: 30,
      tagPerJoint: true,
      scaleAwareSigma: false,
      baseSize: 256,
      baseSigma: 2,
      intSigma: false,
    },
    config: {
      MODEL: {
        NAME: 'pose_higher_hrnet',
        INIT_WEIGHTS: true,
        PRETRAINED: pretrained,
        NUM_JOINTS: 17,
        TAG_PER_JOINT: true,
        EXTRA: {
          FINAL_CONV_KERNEL: 1,
          PRETRAINED_LAYERS: ['*'],
          STEM_INPLANES: 64,
          STAGE2: stage(1, w.slice(0, 2)),
          STAGE3: stage(4, w.slice(0, 3)),
          STAGE4: stage(3, w),
          DECONV: { NUM_DECONVS: 1, NUM_CHANNELS: [c], KERNEL_SIZE: [4], NUM_BASIC_BLOCKS: 4, CAT_OUTPUT: [true] },
        },
      },
      LOSS: {
        NUM_STAGES: 2,
        AE_LOSS_TYPE: 'exp',
        WITH_AE_LOSS: [true, false],
        PUSH_LOSS_FACTOR: [0.001, 0.001],
        PULL_LOSS_FACTOR: [0.001, 0.001],
        WITH_HEATMAPS_LOSS: [true, true],
        HEATMAPS_LOSS_FACTOR: [1.0, 1.0],
      },
    },
  };
}

const presets = new Map<string, HigherHrnetPreset>([
  ['higherhrnet_w32_512', published(32, 512, 'models/pytorch/imagenet/hrnet_w32-36af842e.pth')],
  ['higherhrnet_w32_640', published(32, 640, 'models/pytorch/imagenet/hrnet_w32-36af842e.pth')],
  ['higherhrnet_w48_640', published(48, 640, 'models/pytorch/imagenet/hrnet_w48-8ef0771d.pth')],
]);

/** Registered preset names, sorted. */
export function listHigherHrnetPresets(): string[] {
  return [...presets.keys()].sort();
}

/** Adds a named preset (validated); throws if the name is taken. */
export function registerHigherHrnetPreset(name: string, preset: HigherHrnetPreset): void {
  if (presets.has(name)) throw new Error(`HigherHRNet preset '${name}' is already registered`);
  parseHigherHrnetConfig(preset.config, `config of preset '${name}'`);
  presets.set(name, structuredClone(preset));
}

/** A copy of a preset; unknown names list the valid ones. */
export function higherHrnetPreset(name: string): HigherHrnetPreset {
  const p = presets.get(name);
  if (!p) throw new Error(`unknown HigherHRNet preset '${name}'; valid names: ${listHigherHrnetPresets().join(', ')}`);
  return structuredClone(p);
}

/** Family, preprocessing (what `modelInfo` returns for a HigherHRNet preset). */
export function higherHrnetInfo(name: string): ModelInfo {
  return { name, family: 'higher-hrnet', preprocessing: higherHrnetPreset(name).preprocessing };
}

/** A preset name or a config → validated config. */
export function resolveHigherHrnetConfig(nameOrCfg: string | HigherHrnetConfigInput): HigherHrnetConfig {
  if (typeof nameOrCfg === 'string') return parseHigherHrnetConfig(higherHrnetPreset(nameOrCfg).config, `config of preset '${nameOrCfg}'`);
  return parseHigherHrnetConfig(nameOrCfg);
}
