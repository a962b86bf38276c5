import { COCO_FLIP_INDEX, HF_HRNET_VARIANTS, IMAGENET_MEAN, IMAGENET_STD } from '@hrnet/core';
import type { ModelInfo, Preprocessing } from '../model-family.js';
import { parseTopDownConfig, type TopDownConfig, type TopDownConfigInput } from './top-down-config.js';

/** A published top-down configuration: the MMPose `model` dict with its input / heatmap sizes and sigma, and the input preparation. */
export interface TopDownPreset {
  config: TopDownConfigInput;
  /** `image_size` as `inputSize` ([height, width]), ImageNet mean / std, the OpenCV bilinear warp, COCO's flip permutation. */
  preprocessing: Preprocessing;
}

const head = (inChannels: number) => ({
  type: 'TopdownHeatmapSimpleHead' as const,
  in_channels: inChannels,
  out_channels: 17,
  num_deconv_layers: 0 as const,
  extra: { final_conv_kernel: 1 as const },
  loss_keypoint: { type: 'JointsMSELoss' as const, use_target_weight: true },
});

const testCfg = { flip_test: true, post_process: 'default' as const, shift_heatmap: true, modulate_kernel: 11 };

function preset(backbone: TopDownConfigInput['model']['backbone'], inChannels: number, [w, h]: [number, number], sigma: number): TopDownPreset {
  return {
    config: { model: { type: 'TopDown', pretrained: null, backbone, keypoint_head: head(inChannels), train_cfg: {}, test_cfg: testCfg }, image_size: [w, h], heatmap_size: [w / 4, h / 4], sigma },
    preprocessing: { inputSize: [h, w], mean: IMAGENET_MEAN, std: IMAGENET_STD, interpolation: 'bilinear', flipIndex: COCO_FLIP_INDEX },
  };
}

const hfHrnet = (variant: 'hf_hrnet_18' | 'hf_hrnet_30') => ({ type: 'HF_HRNet' as const, in_channels: 3 as const, extra: structuredClone(HF_HRNET_VARIANTS[variant]!) });

/** MMPose's `hrnet_w32_coco_256x192.py` backbone (the classic HRNet-W32 top-down, SimpleBaseline-style 1×1 final layer). */
const hrnetW32 = {
  type: 'HRNet' as const,
  in_channels: 3 as const,
  extra: {
    stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK' as const, num_blocks: [4] as [number], num_channels: [64] as [number] },
    stage2: { num_modules: 1, num_branches: 2, block: 'BASIC' as const, num_blocks: [4, 4] as [number, number], num_channels: [32, 64] as [number, number] },
    stage3: { num_modules: 4, num_branches: 3, block: 'BASIC' as const, num_blocks: [4, 4, 4] as [number, ...number[]], num_channels: [32, 64, 128] as [number, ...number[]] },
    stage4: { num_modules: 3, num_branches: 4, block: 'BASIC' as const, num_blocks: [4, 4, 4, 4] as [number, ...number[]], num_channels: [32, 64, 128, 256] as [number, ...number[]], multiscale_output: false },
  },
};

// The 384x288 configs of the HF-HRNet repository name a backbone type 'HF_HRNet_288' that the repository does not
// define; the HUM network itself takes multiples of 64 only (288 is not one), so there is no 384x288 HF-HRNet preset.
const presets = new Map<string, TopDownPreset>([
  // configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/hf_hrnet_18256192_0315_19.py
  ['hf_hrnet_18_coco_256x192', preset(hfHrnet('hf_hrnet_18'), 48, [192, 256], 2)],
  // hf_hrnet_30256192_0315_19.py
  ['hf_hrnet_30_coco_256x192', preset(hfHrnet('hf_hrnet_30'), 48, [192, 256], 2)],
  // MMPose configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/hrnet_w32_coco_256x192.py
  ['pose_hrnet_w32_256x192', preset(hrnetW32, 32, [192, 256], 2)],
  ['pose_hrnet_w32_384x288', preset(hrnetW32, 32, [288, 384], 3)],
]);

/** Registered preset names, sorted. */
export function listTopDownPresets(): string[] {
  return [...presets.keys()].sort();
}

/** A copy of a preset; unknown names list the valid ones. */
export function topDownPreset(name: string): TopDownPreset {
  const p = presets.get(name);
  if (!p) throw new Error(`unknown top-down preset '${name}'; valid names: ${listTopDownPresets().join(', ')}`);
  return structuredClone(p);
}

/** Family and preprocessing (what `modelInfo` returns for a top-down preset). */
export function topDownInfo(name: string): ModelInfo {
  return { name, family: 'top-down', preprocessing: topDownPreset(name).preprocessing };
}

/** A preset name or a family config → validated config. */
export function resolveTopDownConfig(nameOrCfg: string | TopDownConfigInput): TopDownConfig {
  if (typeof nameOrCfg === 'string') return parseTopDownConfig(topDownPreset(nameOrCfg).config, `config of preset '${nameOrCfg}'`);
  return parseTopDownConfig(nameOrCfg);
}
