/**
 * A top-down pose model as the MMPose configs write it (`model = dict(type='TopDown', backbone=..., keypoint_head=...,
 * test_cfg=...)`, zhanghao5201/HF-HRNet `configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/hf_hrnet_*.py` and
 * MMPose's `hrnet_w32_coco_256x192.py`), same keys, plus the `data_cfg` sizes and the target sigma the codec needs.
 */
import { parseHfHrnetConfig, parseHrnetConfig, type HfHrnetConfig, type HrnetConfig } from '@hrnet/core';
import { z } from 'zod';
import { parseOfficialConfig } from '../shared/parse-official-config.js';

const positiveInt = z.number().int().positive();
const size = z.tuple([positiveInt, positiveInt]);
/** Python tuples arrive as lists. */
const ints = z.array(positiveInt).nonempty();

/** MMPose's HRNet `extra.stageK` (lower-case keys; `block` 'BOTTLENECK' | 'BASIC'). */
const mmposeStage = z.strictObject({
  num_modules: positiveInt,
  num_branches: positiveInt,
  block: z.enum(['BOTTLENECK', 'BASIC']),
  num_blocks: ints,
  num_channels: ints,
  fuse_method: z.literal('SUM').default('SUM'),
  /** Only the pose configs' `multiscale_output=False` on stage 4 (branch 0 feeds the head). */
  multiscale_output: z.boolean().optional(),
});

const backboneSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('HF_HRNet'), in_channels: z.literal(3).default(3), extra: z.record(z.string(), z.unknown()) }),
  z.strictObject({
    type: z.literal('HRNet'),
    in_channels: z.literal(3).default(3),
    extra: z.strictObject({ stage1: mmposeStage, stage2: mmposeStage, stage3: mmposeStage, stage4: mmposeStage }),
  }),
]);

export const topDownModelSchema = z.strictObject({
  type: z.literal('TopDown').default('TopDown'),
  /** Loading a pretrained backbone is file I/O, left to the caller (`loadPytorchWeights`). */
  pretrained: z.string().nullable().default(null),
  backbone: backboneSchema,
  keypoint_head: z.strictObject({
    type: z.literal('TopdownHeatmapSimpleHead', { error: "only 'TopdownHeatmapSimpleHead' is implemented" }),
    in_channels: positiveInt,
    out_channels: positiveInt,
    num_deconv_layers: z.literal(0, { error: 'only num_deconv_layers=0 (the HRNet / HF-HRNet configs) is implemented' }).default(0),
    extra: z.strictObject({ final_conv_kernel: z.union([z.literal(1), z.literal(3)]).default(1) }).prefault({}),
    loss_keypoint: z
      .strictObject({
        type: z.literal('JointsMSELoss', { error: "only 'JointsMSELoss' is implemented" }),
        use_target_weight: z.boolean().default(false),
        loss_weight: z.number().positive().default(1),
      })
      .prefault({ type: 'JointsMSELoss' }),
  }),
  train_cfg: z.record(z.string(), z.unknown()).default({}),
  test_cfg: z
    .strictObject({
      flip_test: z.boolean().default(true),
      /** 'default': the quarter-pixel shift towards the higher neighbour; null: none. ('unbiased' / 'megvii' are not implemented.) */
      post_process: z.enum(['default']).nullable().default('default'),
      shift_heatmap: z.boolean().default(true),
      /** Read only by post_process 'unbiased'. */
      modulate_kernel: positiveInt.default(11),
    })
    .prefault({}),
});

/** The family config: MMPose's `model` dict with `data_cfg`'s `image_size` / `heatmap_size` and the TopDownGenerateTarget sigma. */
export const topDownConfigSchema = z
  .strictObject({
    model: topDownModelSchema,
    /** `[width, height]` of the network input. */
    image_size: size,
    /** `[width, height]` of the heatmaps (a quarter of image_size in every published config). */
    heatmap_size: size,
    /** TopDownGenerateTarget's sigma, heatmap pixels. */
    sigma: z.number().positive().default(2),
  })
  .superRefine((cfg, ctx) => {
    const [w, h] = cfg.image_size;
    const [hw, hh] = cfg.heatmap_size;
    if (hw * 4 !== w || hh * 4 !== h) ctx.addIssue({ code: 'custom', path: ['heatmap_size'], message: `the head's output is a quarter of image_size [${w}, ${h}]: expected [${w / 4}, ${h / 4}], got [${hw}, ${hh}]` });
  });

export type TopDownConfig = z.output<typeof topDownConfigSchema>;
export type TopDownConfigInput = z.input<typeof topDownConfigSchema>;
export type TopDownModelConfig = TopDownConfig['model'];

/** Validates a family config; the error names every bad key. */
export function parseTopDownConfig(cfg: unknown, source = 'top-down config'): TopDownConfig {
  return parseOfficialConfig(topDownConfigSchema, cfg, source);
}

/** The backbone of a model dict as core's validated cfg of its family. */
export function topDownBackbone(model: TopDownModelConfig): { family: 'hf-hrnet'; cfg: HfHrnetConfig } | { family: 'hrnet'; cfg: HrnetConfig } {
  const b = model.backbone;
  if (b.type === 'HF_HRNet') return { family: 'hf-hrnet', cfg: parseHfHrnetConfig(b.extra, 'model.backbone.extra') };
  const stage = (s: z.output<typeof mmposeStage>) => ({
    num_modules: s.num_modules,
    num_branches: s.num_branches,
    block_type: s.block,
    num_blocks: s.num_blocks,
    num_channels: s.num_channels,
    fuse_method: s.fuse_method,
  });
  const e = b.extra;
  return {
    family: 'hrnet',
    cfg: parseHrnetConfig({ stem_width: 64, stage1: stage(e.stage1), stage2: stage(e.stage2), stage3: stage(e.stage3), stage4: stage(e.stage4) }, 'model.backbone.extra'),
  };
}
