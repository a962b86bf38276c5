import { ConfigError, type ConfigOverride } from '@hrnet/train';

/**
 * MindCV's `config.py` argparse defaults: a MindCV yaml (configs/hrnet/hrnet_w32_ascend.yaml, ...) sets some of
 * these keys, its command line (`--key value`) any of them, and the rest keep these values.
 */
const MINDCV_DEFAULTS: Record<string, unknown> = {
  mode: 0, distribute: false, val_while_train: false, val_interval: 1, log_interval: 100, pretrained: false, ckpt_path: '',
  resume_opt: false, seed: 42, dataset: 'imagenet', data_dir: './', train_split: 'train', val_split: 'val', dataset_download: false,
  num_parallel_workers: 8, shuffle: true, num_samples: null, batch_size: 128, drop_remainder: true, aug_repeats: 0,
  image_resize: 224, scale: [0.08, 1.0], ratio: [0.75, 1.333], hflip: 0.5, vflip: 0, color_jitter: 0.4, interpolation: 'bilinear',
  auto_augment: null, re_prob: 0, re_scale: [0.02, 0.33], re_ratio: [0.3, 3.3], re_value: 0, re_max_attempts: 10,
  mean: [0.485 * 255, 0.456 * 255, 0.406 * 255], std: [0.229 * 255, 0.224 * 255, 0.225 * 255], crop_pct: 0.875,
  cutmix: 0, cutmix_prob: 1.0, mixup: 0, model: 'mobilenet_v2_035_224', num_classes: null, drop_rate: null, drop_path_rate: null,
  amp_level: 'O0', keep_checkpoint_max: 10, ckpt_save_dir: './ckpt', ckpt_save_interval: 1, epoch_size: 90, dataset_sink_mode: true,
  in_channels: 3, ckpt_save_policy: 'latest_k', ema: false, ema_decay: 0.9999, clip_grad: false, clip_value: 15.0, opt: 'adam',
  momentum: 0.9, weight_decay: 1e-6, loss_scale: 1.0, loss_scale_type: null, dynamic_loss_scale: false, drop_overflow_update: false,
  use_nesterov: false, filter_bias_and_bn: true, eps: 1e-10, scheduler: 'cosine_decay', lr: 0.001, min_lr: 1e-6, warmup_epochs: 3,
  warmup_factor: 0.0, decay_epochs: 100, decay_rate: 0.9, multi_step_decay_milestones: [30, 60, 90], lr_epoch_stair: false,
  num_cycles: 1, cycle_decay: 1.0, loss: 'CE', label_smoothing: 0.0, aux_factor: 0.0, reduction: 'mean', enable_modelarts: false,
  device_target: 'Ascend', multi_data_url: '/cache/data/', data_url: '/cache/data/', ckpt_url: '/cache/output/', train_url: '/cache/output/',
};

/** Keys that only steer MindSpore itself (graph mode, Ascend sinking, ModelArts, logging): nothing to do here. */
const RUNTIME_ONLY = new Set(['mode', 'dataset_sink_mode', 'dataset_download', 'log_interval', 'device_target', 'enable_modelarts', 'multi_data_url', 'data_url', 'ckpt_url', 'train_url']);

/** Keys this implementation reads (the rest are honoured only at the values listed in {@link HONOURED_AT}). */
const APPLIED = new Set([
  'distribute', 'val_while_train', 'val_interval', 'ckpt_path', 'seed', 'data_dir', 'val_split', 'num_parallel_workers', 'batch_size',
  'image_resize', 'scale', 'ratio', 'hflip', 'color_jitter', 'interpolation', 'crop_pct', 'model', 'num_classes', 'drop_rate',
  'keep_checkpoint_max', 'ckpt_save_dir', 'ckpt_save_interval', 'epoch_size', 'ckpt_save_policy', 'clip_grad', 'clip_value', 'opt',
  'momentum', 'weight_decay', 'loss_scale', 'loss_scale_type', 'dynamic_loss_scale', 'drop_overflow_update', 'use_nesterov',
  'filter_bias_and_bn', 'eps', 'scheduler', 'lr', 'min_lr', 'warmup_epochs', 'warmup_factor', 'decay_epochs', 'decay_rate',
  'multi_step_decay_milestones', 'lr_epoch_stair', 'label_smoothing', 'dataset', 'loss',
]);

/** What this implementation does for the remaining keys: a yaml value equal to it is honoured, any other is not applied. */
const HONOURED_AT: Record<string, unknown> = {
  shuffle: true, drop_remainder: true, pretrained: false, resume_opt: false, train_split: 'train', num_samples: null, aug_repeats: 0,
  vflip: 0, auto_augment: null, re_prob: 0, mixup: 0, cutmix: 0, amp_level: 'O0', drop_path_rate: null, in_channels: 3, ema: false,
  num_cycles: 1, cycle_decay: 1, aux_factor: 0, reduction: 'mean', mean: MINDCV_DEFAULTS.mean, std: MINDCV_DEFAULTS.std,
};
/** Keys that only matter with another one that is not applied (random erasing, mixing, EMA). */
const DEPENDENT: Record<string, string> = {
  re_scale: 're_prob', re_ratio: 're_prob', re_value: 're_prob', re_max_attempts: 're_prob', cutmix_prob: 'cutmix', ema_decay: 'ema',
};

const OPTIMIZERS: Record<string, (nesterov: boolean) => string> = {
  sgd: (n) => (n ? 'nesterov' : 'momentum'),
  momentum: (n) => (n ? 'nesterov' : 'momentum'),
  adam: () => 'adam',
  adamw: () => 'adamw',
  rmsprop: () => 'rmsprop',
};

/** A MindCV yaml is flat with `model` a name; ours has a `model:` section. */
export function isMindcvConfig(doc: unknown): boolean {
  return doc != null && typeof doc === 'object' && typeof (doc as Record<string, unknown>).model === 'string';
}

/** What a MindCV file says beyond the training config. */
export interface MindcvSettings {
  /** `distribute: True`: data parallel over every device (bare `--dist`). */
  distribute: boolean;
  /** `data_dir` of the file (when it sets one). */
  dataDir?: string;
  /** `ckpt_path`: weights to start from (when not empty). */
  ckptPath?: string;
  /** Keys of the file or command line this implementation does not apply, with their values. */
  notApplied: string[];
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) || (a == null && b == null);

/**
 * Translates a MindCV training yaml (after the command line's `--key value` overrides) into the classification
 * config: MindCV's defaults fill the keys it leaves out; keys that do not apply here are collected in
 * `settings.notApplied` (the caller prints them in one warning); values that cannot be honoured at all (an optimizer
 * or scheduler we do not have) are ConfigErrors naming the key. `batch_size` is MindCV's per-device batch: the
 * global batch (our `batch_size`) is it times `worldSize(distribute)`.
 */
export function fromMindcvConfig(
  doc: Record<string, unknown>,
  source: string,
  worldSize: (distribute: boolean) => number,
  overrides: readonly ConfigOverride[] = [],
): { config: Record<string, unknown>; settings: MindcvSettings } {
  for (const o of overrides) if (!(o.key in MINDCV_DEFAULTS)) throw new ConfigError(`${source}: ${o.given}: not an option of MindCV's train.py/validate.py (config.py)`);
  const m = { ...MINDCV_DEFAULTS, ...doc } as Record<string, unknown>;
  const num = (k: string) => m[k] as number;
  const bool = (k: string) => m[k] as boolean;
  const notApplied: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (APPLIED.has(k)) continue;
    if (RUNTIME_ONLY.has(k)) notApplied.push(k);
    else if (k in HONOURED_AT) {
      if (!same(v, HONOURED_AT[k]) && !(v === 0 && HONOURED_AT[k] == null)) notApplied.push(`${k} ${show(v)}`);
    } else if (k in DEPENDENT) {
      if (!same(m[DEPENDENT[k]], HONOURED_AT[DEPENDENT[k]])) notApplied.push(`${k} ${show(v)}`);
    } else notApplied.push(`${k} (unknown to MindCV)`);
  }
  if (m.dataset !== 'imagenet') notApplied.push(`dataset ${show(m.dataset)} (read as an ImageNet folder layout)`);
  if (m.loss !== 'CE') throw new ConfigError(`${source}: 'loss': only MindCV's 'CE' (cross entropy) is available here, got ${show(m.loss)}`);

  const opt = OPTIMIZERS[String(m.opt)];
  if (!opt) throw new ConfigError(`${source}: 'opt': expected one of ${Object.keys(OPTIMIZERS).join(', ')}, got ${show(m.opt)}`);
  const scheduler = (() => {
    const warmup = { warmup_epochs: num('warmup_epochs'), warmup_lr: num('lr') * num('warmup_factor'), warmup_prefix: true, per_step: !bool('lr_epoch_stair') };
    switch (m.scheduler) {
      case 'cosine_decay':
        if (num('num_cycles') !== 1) notApplied.push(`num_cycles ${num('num_cycles')}`);
        return { name: 'cosine', ...warmup, min_lr: num('min_lr'), decay_epochs: num('decay_epochs') };
      case 'constant':
        return { name: 'constant', ...warmup };
      case 'step_decay':
        return { name: 'step', ...warmup, step_size: num('decay_epochs'), gamma: num('decay_rate') };
      case 'multi_step_decay':
        return { name: 'multistep', ...warmup, milestones: m.multi_step_decay_milestones, gamma: num('decay_rate') };
      default:
        throw new ConfigError(`${source}: 'scheduler': expected cosine_decay, constant, step_decay or multi_step_decay, got ${show(m.scheduler)}`);
    }
  })();
  const scaleType = m.loss_scale_type ?? (bool('dynamic_loss_scale') ? 'dynamic' : 'fixed');
  const loss_scale =
    scaleType === 'dynamic'
      ? { type: 'dynamic', scale: num('loss_scale') }
      : num('loss_scale') > 1
        ? { type: 'static', scale: num('loss_scale'), drop_overflow_update: bool('drop_overflow_update') }
        : { type: 'none' };
  const distribute = bool('distribute');
  const epochs = num('epoch_size');
  // As timm's, MindCV's train transform jitters colour only when there is no auto-augment policy.
  const colorJitter = m.auto_augment == null ? (Array.isArray(m.color_jitter) ? (m.color_jitter as number[])[0] : num('color_jitter')) ?? 0 : 0;
  const config = {
    seed: num('seed'),
    epochs,
    batch_size: num('batch_size') * worldSize(distribute),
    model: { name: m.model, ...(m.num_classes != null && { num_classes: m.num_classes }), drop_rate: num('drop_rate') ?? 0 },
    data: {
      image_size: num('image_resize'),
      crop_pct: num('crop_pct'),
      train_crop: 'rrc',
      scale: m.scale,
      ratio: m.ratio,
      hflip: num('hflip'),
      color_jitter: colorJitter,
      train_interpolation: m.interpolation,
      eval_interpolation: m.interpolation,
      workers: num('num_parallel_workers'),
      val_split: m.val_split,
    },
    loss: { label_smoothing: num('label_smoothing'), smoothing_style: 'timm' },
    optimizer: {
      name: opt(bool('use_nesterov')),
      lr: num('lr'),
      momentum: num('momentum'),
      weight_decay: num('weight_decay'),
      weight_decay_filter: bool('filter_bias_and_bn') ? 'rank2' : 'all',
      eps: num('eps'),
      ...(bool('clip_grad') && { clip_grad: num('clip_value'), clip_mode: 'norm' }),
    },
    scheduler,
    loss_scale,
    checkpoint: {
      dir: m.ckpt_save_dir,
      keep_max: num('keep_checkpoint_max'),
      every: num('ckpt_save_interval'),
      ...(m.ckpt_save_policy === 'top_k' && { best_metric: 'top1' }),
    },
    // Without val_while_train MindCV validates only with validate.py; here the last epoch is still evaluated.
    eval_interval: bool('val_while_train') ? num('val_interval') : epochs,
  };
  const settings: MindcvSettings = { distribute, notApplied };
  if ('data_dir' in doc) settings.dataDir = String(m.data_dir);
  if (m.ckpt_path) settings.ckptPath = String(m.ckpt_path);
  return { config, settings };
}
