import { BACKEND_KINDS, hrnetConfigSchema } from '@hrnet/core';
import { loadConfig, trainConfigSchema, type ConfigOverride } from '@hrnet/train';
import { z } from 'zod';
import { fromMindcvConfig, isMindcvConfig, type MindcvSettings } from './mindcv-config.js';

const interpolation = z.enum(['nearest', 'bilinear', 'bicubic']);
const pair = z.tuple([z.number().positive(), z.number().positive()]);

/** The classification config: @hrnet/train's base sections plus `backend`, `model`, `data` and `loss`. */
export const classificationConfigSchema = trainConfigSchema.extend({
  backend: z.enum(BACKEND_KINDS).default('auto'),
  /** MindSpore `begin_epoch`: with `--resume`, the epoch the checkpoint must have completed (a check, as its run_standalone_train.sh BEGIN_EPOCH). */
  begin_epoch: z.number().int().min(0).default(0),
  /** validate.ts' result keys: MindCV's `{'Top_1_Accuracy', 'Top_5_Accuracy', 'Loss'}` or MindSpore's eval `{'Loss', 'Top_1_Acc', 'Top_5_Acc'}`. */
  eval_keys: z.enum(['mindcv', 'mindspore']).default('mindcv'),
  model: z
    .strictObject({
      /** A registered variant (`hrnet_w18_small`, ...; MindCV `model`). */
      name: z.string().optional(),
      /** Or a timm HRNet cfg dict. */
      cfg: hrnetConfigSchema.optional(),
      /** Classifier size (MindCV `num_classes`); default: the number of class folders. */
      num_classes: z.number().int().positive().optional(),
      head_channels: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).optional(),
      num_features: z.number().int().positive().optional(),
      drop_rate: z.number().min(0).max(1).default(0),
      /** Conv weight init (MindSpore `conv_init`): `default` is timm's (normal, fan_out); TruncatedNormal has σ 0.027. */
      conv_init: z.enum(['default', 'TruncatedNormal']).default('default'),
      /** Classifier weight init (MindSpore `dense_init`): RandomNormal has σ 0.01, TruncatedNormal σ 0.027. */
      dense_init: z.enum(['default', 'RandomNormal', 'TruncatedNormal']).default('default'),
    })
    .refine((m) => (m.name == null) !== (m.cfg == null), { message: 'set exactly one of model.name and model.cfg' }),
  data: z.strictObject({
    /** Crop size (MindCV `image_resize`, MindSpore `input_size`), a multiple of 32. */
    image_size: z.number().int().positive().multipleOf(32),
    /** Eval: shorter side → floor(image_size / crop_pct), then center crop. */
    crop_pct: z.number().gt(0).max(1).default(0.875),
    /** Train crop: `rrc` = RandomResizedCrop (timm/MindCV/MindSpore), `random` = resize shorter side to `scale_size`, random crop. */
    train_crop: z.enum(['rrc', 'random']).default('rrc'),
    /** rrc: area fraction range (MindCV `scale`). */
    scale: pair.default([0.08, 1]),
    /** rrc: aspect ratio range (MindCV `ratio`). */
    ratio: pair.default([0.75, 1.333]),
    /** random: shorter side before the crop. */
    scale_size: z.number().int().positive().optional(),
    hflip: z.number().min(0).max(1).default(0.5),
    /** timm `color_jitter`: one strength for brightness, contrast and saturation (0 = off). */
    color_jitter: z.number().min(0).default(0),
    /** timm/MindCV `auto_augment`: a RandAugment string (`rand-m9-mstd0.5-inc1`, MindCV `randaug-m7-mstd0.5-inc1`). */
    auto_augment: z.string().optional(),
    /** timm/MindCV `re_prob`: random erasing probability per train image (0 = off). */
    re_prob: z.number().min(0).max(1).default(0),
    /** timm `re_mode`: erased pixels are 0 (`const`), one normal per channel (`rand`) or per pixel (`pixel`). */
    re_mode: z.enum(['const', 'rand', 'pixel']).default('pixel'),
    /** timm `re_count`: up to this many boxes per image (a uniform count in [1, re_count]). */
    re_count: z.number().int().positive().default(1),
    /** timm/MindCV `mixup`: mixup Beta α (0 = off). */
    mixup: z.number().min(0).default(0),
    /** timm/MindCV `cutmix`: cutmix Beta α (0 = off). */
    cutmix: z.number().min(0).default(0),
    /** timm `mixup_prob` (MindCV `mixup_prob`): probability that a batch is mixed. */
    mixup_prob: z.number().min(0).max(1).default(1),
    /** timm `mixup_switch_prob`: with both on, probability of cutmix instead of mixup. */
    mixup_switch_prob: z.number().min(0).max(1).default(0.5),
    /** Train resize filter (MindCV `interpolation`). */
    train_interpolation: interpolation.default('bilinear'),
    eval_interpolation: interpolation.default('bilinear'),
    /** Batches decoded ahead. */
    prefetch: z.number().int().min(0).default(2),
    /** Decode worker threads (MindCV `num_parallel_workers`); 0 = main thread with sharp's async pool. */
    workers: z.number().int().min(0).default(0),
    /** Validation folder under the root. */
    val_split: z.string().default('val'),
    /** Flat validation layout: labels file for `<root>/<val_split>/*.JPEG` (path relative to the root or absolute). */
    val_labels: z.string().optional(),
    synthetic: z
      .strictObject({
        classes: z.number().int().positive(),
        train_per_class: z.number().int().positive(),
        val_per_class: z.number().int().positive(),
        size: z.number().int().positive(),
      })
      .optional(),
  })
    .refine((d) => d.re_prob === 0 || d.train_crop === 'rrc', { message: "random erasing (re_prob > 0) runs in the 'rrc' train crop, as timm's pipeline", path: ['re_prob'] })
    .refine((d) => d.auto_augment == null || d.train_crop === 'rrc', { message: "auto_augment runs in the 'rrc' train crop, as timm's pipeline", path: ['auto_augment'] }),
  loss: z
    .strictObject({
      label_smoothing: z.number().min(0).lt(1).default(0.1),
      /** `timm`: (1-s)·onehot + s/K; `mindspore` (CrossEntropySmooth): on 1-s, off s/(K-1). */
      smoothing_style: z.enum(['timm', 'mindspore']).default('timm'),
    })
    .prefault({}),
});

export type ClassificationConfig = z.infer<typeof classificationConfigSchema>;

/**
 * Reads a classification config: ours, or MindCV's own yaml as it is (translated by `fromMindcvConfig`; then
 * `mindcv` says what else it set and which keys do not apply). Command-line overrides are set first, in the
 * file's own key names (MindCV's flat `--lr 0.01`, ours `--optimizer.lr 0.01`).
 */
export async function loadClassificationConfig(
  file: string,
  opts: { overrides?: readonly ConfigOverride[]; worldSize?: (distribute: boolean) => number } = {},
): Promise<{ cfg: ClassificationConfig; mindcv?: MindcvSettings }> {
  let mindcv: MindcvSettings | undefined;
  const translate = (doc: unknown, source: string) => {
    if (!isMindcvConfig(doc)) return doc;
    const t = fromMindcvConfig(doc as Record<string, unknown>, source, opts.worldSize ?? (() => 1), opts.overrides);
    mindcv = t.settings;
    return t.config;
  };
  const cfg = await loadConfig(file, classificationConfigSchema, { overrides: opts.overrides, translate });
  return { cfg, mindcv };
}
