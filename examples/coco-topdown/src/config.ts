import { BACKEND_KINDS } from '@hrnet/core';
/**
 * The top-down example's config: an MMPose top-down config (`configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/*.py`
 * of zhanghao5201/HF-HRNet and MMPose) written as YAML with the same keys, so a config can be diffed against the
 * official file. Every object is strict: an unknown key is an error naming its path. Keys of the official runtime
 * that only steer the PyTorch/CUDA script (workers_per_gpu, log_config, dist_params, ...) are accepted and ignored;
 * values this port cannot honour (soft_nms, post_process 'unbiased', grad_clip, ...) are errors.
 *
 * Port additions, all optional: `backend`, `seed`, `keep_checkpoints`, `synthetic` (the generated COCO set used
 * without `--datadir`), and `lr_config.policy: CosineAnnealing` (MMCV's name) for short runs.
 */
import type { TopDownPipelineConfig } from '@hrnet/data-coco';
import { MsraHeatmapCodec, topDownModelSchema, type TopDownConfig } from '@hrnet/heads';
import { loadConfig, type ConfigOverride } from '@hrnet/train';
import { z } from 'zod';

const ignored = z.unknown().optional();
const positiveInt = z.number().int().positive();
const size = z.tuple([positiveInt, positiveInt]);
const probability = z.number().min(0).max(1);

/** One transform of a pipeline list, by its `type`. */
const transform = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('LoadImageFromFile') }),
  z.strictObject({ type: z.literal('TopDownGetBboxCenterScale'), padding: z.number().positive().default(1.25) }),
  z.strictObject({ type: z.literal('TopDownRandomShiftBboxCenter'), shift_factor: z.number().min(0).default(0.16), prob: probability.default(0.3) }),
  z.strictObject({ type: z.literal('TopDownRandomFlip'), flip_prob: probability.default(0.5) }),
  z.strictObject({ type: z.literal('TopDownHalfBodyTransform'), num_joints_half_body: positiveInt.default(8), prob_half_body: probability.default(0.3) }),
  z.strictObject({ type: z.literal('TopDownGetRandomScaleRotation'), rot_factor: z.number().min(0).default(40), scale_factor: z.number().min(0).max(0.99).default(0.5), rot_prob: probability.default(0.6) }),
  z.strictObject({ type: z.literal('TopDownAffine'), use_udp: z.literal(false, { error: 'use_udp (unbiased data processing) is not implemented' }).default(false) }),
  z.strictObject({ type: z.literal('ToTensor') }),
  z.strictObject({ type: z.literal('NormalizeTensor'), mean: z.array(z.number()).length(3), std: z.array(z.number().positive()).length(3) }),
  z.strictObject({
    type: z.literal('TopDownGenerateTarget'),
    sigma: z.number().positive().default(2),
    target_type: z.literal('GaussianHeatmap').default('GaussianHeatmap'),
    encoding: z.literal('MSRA', { error: "only the 'MSRA' encoding is implemented" }).default('MSRA'),
    unbiased_encoding: z.literal(false, { error: 'unbiased_encoding is not implemented' }).default(false),
  }),
  z.strictObject({ type: z.literal('Collect'), keys: z.array(z.string()), meta_keys: z.array(z.string()).optional() }),
]);
type Transform = z.output<typeof transform>;

const dataset = z.strictObject({
  type: z.literal('TopDownCocoDataset', { error: "only 'TopDownCocoDataset' is implemented" }),
  /** `<data_root>/annotations/person_keypoints_<split>.json`: the split is read from the file name. */
  ann_file: z.string().regex(/person_keypoints_[^/]+\.json$/, 'expected .../person_keypoints_<split>.json'),
  img_prefix: z.string(),
  /** In the .py files these point at data_cfg / the pipelines / the dataset info; here those are top-level keys. */
  data_cfg: ignored,
  pipeline: ignored,
  dataset_info: ignored,
});

const syntheticSchema = z.strictObject({
  train_images: positiveInt.default(200),
  val_images: positiveInt.default(20),
  /** Image side (square) or [width, height]. */
  image_size: z.union([positiveInt, size]).default(96),
  people_per_image: size.default([1, 2]),
  seed: z.number().int().default(0),
});

export const topDownExampleSchema = z
  .strictObject({
    _base_: ignored,
    evaluation: z.strictObject({ interval: positiveInt.default(10), metric: z.literal('mAP').default('mAP'), save_best: z.string().optional() }).prefault({}),
    optimizer: z.strictObject({ type: z.literal('Adam', { error: "only 'Adam' (the top-down configs' optimizer) is implemented" }), lr: z.number().positive(), weight_decay: z.number().min(0).default(0) }),
    optimizer_config: z.strictObject({ grad_clip: z.null({ error: 'grad_clip is not implemented (the configs set None)' }).default(null) }).prefault({}),
    lr_config: z.strictObject({
      /** 'step' (MMCV StepLrUpdaterHook, per epoch) or 'CosineAnnealing' (per iteration, to min_lr). */
      policy: z.enum(['step', 'CosineAnnealing']),
      warmup: z.literal('linear').nullable().default(null),
      warmup_iters: z.number().int().min(0).default(0),
      warmup_ratio: z.number().min(0).max(1).default(0.1),
      step: z.array(z.number().int().min(0)).default([]),
      gamma: z.number().positive().default(0.1),
      min_lr: z.number().min(0).default(0),
      by_epoch: z.boolean().optional(),
    }),
    total_epochs: positiveInt,
    channel_cfg: z
      .strictObject({ num_output_channels: positiveInt, dataset_joints: positiveInt, dataset_channel: z.array(z.array(z.number().int())), inference_channel: z.array(z.number().int()) })
      .optional(),
    model: topDownModelSchema,
    data_cfg: z.strictObject({
      image_size: size,
      heatmap_size: size,
      num_output_channels: positiveInt,
      num_joints: positiveInt,
      dataset_channel: ignored,
      inference_channel: ignored,
      soft_nms: z.literal(false, { error: 'soft_nms is not implemented (OKS-NMS is)' }).default(false),
      use_nms: z.boolean().default(true),
      nms_thr: z.number().default(1.0),
      oks_thr: z.number().min(0).max(1).default(0.9),
      vis_thr: z.number().min(0).default(0.2),
      use_gt_bbox: z.boolean().default(false),
      det_bbox_thr: z.number().min(0).default(0),
      bbox_file: z.string().default(''),
    }),
    train_pipeline: z.array(transform).nonempty(),
    val_pipeline: z.array(transform).nonempty(),
    test_pipeline: z.array(transform).optional(),
    data_root: z.string().default('data/coco'),
    data: z.strictObject({
      samples_per_gpu: positiveInt,
      workers_per_gpu: ignored,
      val_dataloader: z.strictObject({ samples_per_gpu: positiveInt }).optional(),
      test_dataloader: z.strictObject({ samples_per_gpu: positiveInt }).optional(),
      train: dataset,
      val: dataset,
      test: dataset.optional(),
    }),
    // default_runtime.py
    checkpoint_config: ignored,
    log_config: ignored,
    log_level: ignored,
    load_from: ignored,
    resume_from: ignored,
    dist_params: ignored,
    workflow: ignored,
    // Port additions.
    backend: z.enum(BACKEND_KINDS).default('auto'),
    seed: z.number().int().default(0),
    keep_checkpoints: positiveInt.default(2),
    synthetic: syntheticSchema.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const d = cfg.data_cfg;
    const J = cfg.model.keypoint_head.out_channels;
    if (d.num_joints !== J) ctx.addIssue({ code: 'custom', path: ['data_cfg', 'num_joints'], message: `must equal model.keypoint_head.out_channels (${J})` });
    if (J !== 17) ctx.addIssue({ code: 'custom', path: ['model', 'keypoint_head', 'out_channels'], message: 'COCO keypoints have 17 joints' });
    const [w, h] = d.image_size;
    if (d.heatmap_size[0] * 4 !== w || d.heatmap_size[1] * 4 !== h) {
      ctx.addIssue({ code: 'custom', path: ['data_cfg', 'heatmap_size'], message: `the head's output is a quarter of image_size [${w}, ${h}]: expected [${w / 4}, ${h / 4}]` });
    }
    for (const key of ['train_pipeline', 'val_pipeline'] as const) {
      const types = cfg[key].map((t) => t.type);
      for (const need of ['TopDownGetBboxCenterScale', 'TopDownAffine', 'NormalizeTensor']) {
        if (!types.includes(need as never)) ctx.addIssue({ code: 'custom', path: [key], message: `needs a ${need} step` });
      }
    }
    if (!cfg.train_pipeline.some((t) => t.type === 'TopDownGenerateTarget')) ctx.addIssue({ code: 'custom', path: ['train_pipeline'], message: 'needs a TopDownGenerateTarget step' });
    if (cfg.lr_config.policy === 'step' && cfg.lr_config.step.length === 0) ctx.addIssue({ code: 'custom', path: ['lr_config', 'step'], message: "policy 'step' needs the epochs to decay at" });
    const p = cfg.synthetic.people_per_image;
    if (p[0] > p[1]) ctx.addIssue({ code: 'custom', path: ['synthetic', 'people_per_image'], message: 'min must not exceed max' });
  });

export type TopDownExampleConfig = z.output<typeof topDownExampleSchema>;

/** Reads and validates a config file; errors (ConfigError) name the file and every bad key. */
export function loadTopDownConfig(file: string, overrides?: readonly ConfigOverride[]): Promise<TopDownExampleConfig> {
  return loadConfig(file, topDownExampleSchema, { overrides });
}

function step<T extends Transform['type']>(list: readonly Transform[], type: T): Extract<Transform, { type: T }> | undefined {
  return list.find((t) => t.type === type) as Extract<Transform, { type: T }> | undefined;
}

/** The model family's config (`createTopDownModel`, `topDownTask`, the codec). */
export function familyConfig(cfg: TopDownExampleConfig): TopDownConfig {
  return { model: cfg.model, image_size: cfg.data_cfg.image_size, heatmap_size: cfg.data_cfg.heatmap_size, sigma: step(cfg.train_pipeline, 'TopDownGenerateTarget')!.sigma };
}

export function topDownCodec(cfg: TopDownExampleConfig): MsraHeatmapCodec {
  return MsraHeatmapCodec.fromConfig(familyConfig(cfg));
}

/** The train_pipeline as @hrnet/data-coco's settings (a transform left out of the list is off). */
export function trainPipelineConfig(cfg: TopDownExampleConfig): Partial<TopDownPipelineConfig> & { imageSize: [number, number] } {
  const t = cfg.train_pipeline;
  const shift = step(t, 'TopDownRandomShiftBboxCenter');
  const half = step(t, 'TopDownHalfBodyTransform');
  const sr = step(t, 'TopDownGetRandomScaleRotation');
  const norm = step(t, 'NormalizeTensor')!;
  return {
    imageSize: cfg.data_cfg.image_size,
    padding: step(t, 'TopDownGetBboxCenterScale')!.padding,
    shiftFactor: shift?.shift_factor ?? 0,
    shiftProb: shift?.prob ?? 0,
    flipProb: step(t, 'TopDownRandomFlip')?.flip_prob ?? 0,
    numJointsHalfBody: half?.num_joints_half_body ?? 8,
    probHalfBody: half?.prob_half_body ?? 0,
    rotFactor: sr?.rot_factor ?? 0,
    scaleFactor: sr?.scale_factor ?? 0,
    rotProb: sr?.rot_prob ?? 0,
    mean: norm.mean,
    std: norm.std,
  };
}

/** The val_pipeline's box padding and normalisation. */
export function valPipelineConfig(cfg: TopDownExampleConfig): { padding: number; mean: number[]; std: number[] } {
  const norm = step(cfg.val_pipeline, 'NormalizeTensor')!;
  return { padding: step(cfg.val_pipeline, 'TopDownGetBboxCenterScale')!.padding, mean: norm.mean, std: norm.std };
}

/** The split of a dataset entry (`.../person_keypoints_val2017.json` → `val2017`). */
export function splitOf(ann: { ann_file: string }): string {
  return /person_keypoints_([^/]+)\.json$/.exec(ann.ann_file)![1]!;
}
