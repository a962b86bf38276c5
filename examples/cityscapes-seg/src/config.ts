import { BACKEND_KINDS } from '@hrnet/core';
/**
 * The segmentation example's config: an official HRNet-Semantic-Segmentation experiment yaml
 * (`lib/config/default.py` merged with `experiments/cityscapes/*.yaml`), same upper-case blocks and keys, so a
 * config can be diffed against the official file. Keys missing from the yaml take default.py's value. Every object
 * is strict: an unknown key is an error naming its path (`cfg.yaml: unknown key 'TRAIN.LR_STEPS'`).
 *
 * Keys are either read (see the README's table) or accepted and ignored because they only steer the official
 * PyTorch/CUDA script (GPUS, CUDNN, PIN_MEMORY, WORKERS, ...). Values this port cannot honour (OCR heads, extra
 * training epochs, brightness jitter, frozen layers, ...) are errors rather than silently ignored.
 *
 * Additions of this port, all optional: `BACKEND`, `MODEL.INIT_WEIGHTS`, `TRAIN.SEED`, `TRAIN.KEEP_CHECKPOINTS`, `TRAIN.OPTIMIZER: adam`,
 * `DATASET.SYNTHETIC` (the generated data set used without `--datadir`) and `DATASET.BAD_SAMPLES`.
 */
import type { TrainAugOptions } from '@hrnet/data-cityscapes';
import { segExtraSchema, type SegExtraInput, type SegmentationLossOptions, type SegmentImageOptions } from '@hrnet/heads';
import { loadConfig, type ConfigOverride } from '@hrnet/train';
import { z } from 'zod';

/** Accepted and not read (settings of the official PyTorch/CUDA script). */
const ignored = z.unknown().optional();
const positiveInt = z.number().int().positive();
/** [width, height], as the official IMAGE_SIZE keys. */
const widthHeight = z.tuple([positiveInt, positiveInt]);

const syntheticSchema = z.strictObject({
  /** Image size [width, height] of the generated scenes. */
  IMAGE_SIZE: widthHeight.default([256, 128]),
  /** City folders per split, and images per city and split. */
  CITIES: positiveInt.default(2),
  TRAIN_PER_CITY: positiveInt.default(32),
  VAL_PER_CITY: positiveInt.default(5),
  /** Seed of the drawings (the training seed is TRAIN.SEED). */
  SEED: z.number().int().default(0),
});

const datasetSchema = z.strictObject({
  /** Official: the data folder. Here the root comes from `--datadir` (without it: the generated data set). */
  ROOT: z.string().default(''),
  DATASET: z.literal('cityscapes', { error: "only 'cityscapes' is implemented" }).default('cityscapes'),
  NUM_CLASSES: z.literal(19, { error: 'Cityscapes has 19 evaluated classes' }).default(19),
  /** A list file relative to the root (`<image> <label>` lines); where it does not exist the split named by its file name is scanned. */
  TRAIN_SET: z.string().min(1).default('list/cityscapes/train.lst'),
  EXTRA_TRAIN_SET: z.literal('', { error: 'an extra training list is not supported' }).default(''),
  TEST_SET: z.string().min(1).default('list/cityscapes/val.lst'),
  /** Port addition: the generated data set used when no `--datadir` is given. */
  SYNTHETIC: syntheticSchema.optional(),
  /**
   * Port addition: an image without its gtFine file, a label PNG of another size than its image, a label id
   * outside the Cityscapes table or an undecodable file: left out and counted ('skip') or the end of the run ('fail').
   */
  BAD_SAMPLES: z.enum(['skip', 'fail']).default('skip'),
});

const modelSchema = z.strictObject({
  NAME: z.literal('seg_hrnet', { error: "only 'seg_hrnet' (HRNetV2; no OCR) is implemented" }).default('seg_hrnet'),
  /** Port addition (the HigherHRNet repo's key): seg_hrnet's N(0, 0.001) conv init; false keeps the layers' He-normal init. */
  INIT_WEIGHTS: z.boolean().default(true),
  /** ImageNet HRNet weights loaded after the N(0, 0.001) init when the file exists (official init_weights). */
  PRETRAINED: z.string().default(''),
  ALIGN_CORNERS: z.boolean().default(true),
  NUM_OUTPUTS: z.literal(1, { error: 'seg_hrnet has one output' }).default(1),
  EXTRA: segExtraSchema,
  OCR: ignored,
});

const lossSchema = z.strictObject({
  USE_OHEM: z.boolean().default(false),
  OHEMTHRES: z.number().gt(0).max(1).default(0.9),
  OHEMKEEP: z.number().int().min(0).default(100000),
  /** Not read by the official train.py, which always passes the Cityscapes class weights to the loss; neither is it here. */
  CLASS_BALANCE: z.boolean().default(false),
  BALANCE_WEIGHTS: z.array(z.number()).length(1, { error: 'one weight (seg_hrnet has one output)' }).default([1]),
});

const trainSchema = z.strictObject({
  FREEZE_LAYERS: z.literal('', { error: 'frozen layers are not supported' }).default(''),
  FREEZE_EPOCHS: ignored,
  NONBACKBONE_KEYWORDS: z.array(z.string()).max(0, { error: 'per-layer learning rates are not supported' }).default([]),
  NONBACKBONE_MULT: ignored,
  /** Crop [width, height]. */
  IMAGE_SIZE: widthHeight.default([1024, 512]),
  /** Long side at scale 1. */
  BASE_SIZE: positiveInt.default(2048),
  DOWNSAMPLERATE: z.literal(1, { error: 'only 1 is supported' }).default(1),
  FLIP: z.boolean().default(true),
  MULTI_SCALE: z.boolean().default(true),
  /** Random scales 0.5 + k/10, k = 0…SCALE_FACTOR. */
  SCALE_FACTOR: z.number().int().min(0).default(16),
  RANDOM_BRIGHTNESS: z.literal(false, { error: 'brightness jitter is not supported' }).default(false),
  RANDOM_BRIGHTNESS_SHIFT_VALUE: ignored,
  /** Unused by the official train.py (its learning rate is the poly schedule). */
  LR_FACTOR: ignored,
  LR_STEP: ignored,
  LR: z.number().positive().default(0.01),
  EXTRA_LR: ignored,
  /** 'sgd' as the official recipes; 'adam' is a port addition (weight decay WD, decoupled: no). */
  OPTIMIZER: z.enum(['sgd', 'adam']).default('sgd'),
  MOMENTUM: z.number().min(0).max(1).default(0.9),
  WD: z.number().min(0).default(0.0001),
  NESTEROV: z.boolean().default(false),
  /** default.py's -1; every Cityscapes yaml sets 255 (the label-id table's ignore value). */
  IGNORE_LABEL: z.number().int().default(-1),
  BEGIN_EPOCH: z.number().int().min(0).default(0),
  END_EPOCH: positiveInt.default(484),
  EXTRA_EPOCH: z.literal(0, { error: 'extra-set epochs are not supported' }).default(0),
  /** Official: resume from OUTPUT_DIR's checkpoint (here: the newest epoch checkpoint there). */
  RESUME: z.boolean().default(false),
  /** Batch size (one process: the global batch; `--dist N`: per rank, as per GPU). */
  BATCH_SIZE_PER_GPU: positiveInt.default(32),
  SHUFFLE: z.boolean().default(true),
  /** Only the first N training samples (0 = all). */
  NUM_SAMPLES: z.number().int().min(0).default(0),
  /** Port additions. */
  SEED: z.number().int().default(0),
  KEEP_CHECKPOINTS: positiveInt.default(3),
});

const testSchema = z.strictObject({
  /** [width, height]: the sliding window of multi-scale testing is TRAIN.IMAGE_SIZE, as Cityscapes.multi_scale_inference. */
  IMAGE_SIZE: widthHeight.default([2048, 1024]),
  BASE_SIZE: positiveInt.default(2048),
  /** Evaluation runs one image at a time whatever this says. */
  BATCH_SIZE_PER_GPU: ignored,
  /** Only the first N val samples (0 = all). */
  NUM_SAMPLES: z.number().int().min(0).default(0),
  MODEL_FILE: z.string().default(''),
  FLIP_TEST: z.boolean().default(false),
  /** Scales come from SCALE_LIST (MULTI_SCALE is not read by test.py's testval either). */
  MULTI_SCALE: z.boolean().default(false),
  CENTER_CROP_TEST: ignored,
  SCALE_LIST: z.array(z.number().positive()).nonempty().default([1]),
  OUTPUT_INDEX: ignored,
});

export const segConfigSchema = z
  .strictObject({
    OUTPUT_DIR: z.string().default(''),
    LOG_DIR: z.string().default(''),
    GPUS: ignored,
    WORKERS: ignored,
    PRINT_FREQ: ignored,
    AUTO_RESUME: z.boolean().default(false),
    PIN_MEMORY: ignored,
    RANK: ignored,
    CUDNN: ignored,
    MODEL: modelSchema,
    LOSS: lossSchema.prefault({}),
    DATASET: datasetSchema.prefault({}),
    TRAIN: trainSchema.prefault({}),
    TEST: testSchema.prefault({}),
    DEBUG: ignored,
    /** Port addition: `initBackend` kind. */
    BACKEND: z.enum(BACKEND_KINDS).default('auto'),
  })
  .superRefine((cfg, ctx) => {
    const t = cfg.TRAIN;
    if (t.BEGIN_EPOCH >= t.END_EPOCH) ctx.addIssue({ code: 'custom', path: ['TRAIN', 'BEGIN_EPOCH'], message: 'must be below END_EPOCH' });
    if (t.IGNORE_LABEL !== 255) ctx.addIssue({ code: 'custom', path: ['TRAIN', 'IGNORE_LABEL'], message: `must be 255 (the ignore value of the Cityscapes label table), got ${t.IGNORE_LABEL}` });
  });

export type SegConfig = z.output<typeof segConfigSchema>;

/** Reads and validates a config file; errors (ConfigError) name the file and every bad key. */
export function loadSegConfig(file: string, overrides?: readonly ConfigOverride[]): Promise<SegConfig> {
  return loadConfig(file, segConfigSchema, { overrides });
}


/** MODEL.EXTRA as `createSegmenter` takes it. */
export function segExtra(cfg: SegConfig): SegExtraInput {
  return cfg.MODEL.EXTRA as SegExtraInput;
}

/** TRAIN's augmentation keys as data-cityscapes' `trainAugment` options ([w, h] → [h, w]). */
export function augmentOptions(cfg: SegConfig): TrainAugOptions {
  const t = cfg.TRAIN;
  return { crop: [t.IMAGE_SIZE[1], t.IMAGE_SIZE[0]], baseSize: t.BASE_SIZE, multiScale: t.MULTI_SCALE, scaleFactor: t.SCALE_FACTOR, flip: t.FLIP };
}

/** LOSS + TRAIN.IGNORE_LABEL as the segmentation loss options (class weights are the caller's: train.py always passes the data set's). */
export function lossOptions(cfg: SegConfig, classWeights: readonly number[]): SegmentationLossOptions {
  const l = cfg.LOSS;
  return {
    alignCorners: cfg.MODEL.ALIGN_CORNERS,
    ignoreLabel: cfg.TRAIN.IGNORE_LABEL,
    classWeights: [...classWeights],
    ohem: l.USE_OHEM ? { thresh: l.OHEMTHRES, minKept: l.OHEMKEEP } : undefined,
  };
}

/** TEST as `segmentImage` options (flip and scales overridable from the command line). */
export function inferenceOptions(cfg: SegConfig, over: { flip?: boolean; scales?: number[] } = {}): SegmentImageOptions {
  const t = cfg.TEST;
  return {
    alignCorners: cfg.MODEL.ALIGN_CORNERS,
    flip: over.flip ?? t.FLIP_TEST,
    scales: over.scales ?? t.SCALE_LIST,
    baseSize: t.BASE_SIZE,
    crop: [cfg.TRAIN.IMAGE_SIZE[1], cfg.TRAIN.IMAGE_SIZE[0]],
  };
}
