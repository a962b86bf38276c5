/**
 * The pose example's config: the official HigherHRNet experiment yaml (HRNet/HigherHRNet-Human-Pose-Estimation,
 * `lib/config/default.py` merged with `experiments/coco/higher_hrnet/*.yaml`), same upper-case blocks and keys, so a
 * config can be diffed against the official file. Keys missing from the yaml take default.py's value. Every object
 * is strict: an unknown key is an error naming its path (`cfg.yaml: unknown key 'TRAIN.LR_STEPS'`).
 *
 * Keys are either read (see the README's table) or accepted and ignored because they only steer the official
 * PyTorch/CUDA script (GPUS, CUDNN, PIN_MEMORY, DEBUG, ...). Values this implementation cannot honour (a zip
 * dataset, per-size sigma, WITH_CENTER, PROJECT2IMAGE false, ...) are errors rather than silently ignored.
 *
 * Additions of this port, all optional: `BACKEND`, `TRAIN.SEED`, `TRAIN.LR_SCHEDULER` (+ `TRAIN.WARMUP_EPOCHS`,
 * `TRAIN.MIN_LR`), `TRAIN.KEEP_CHECKPOINTS`, `TRAIN.MICRO_BATCH` and `DATASET.SYNTHETIC` (the generated dataset used without `--datadir`).
 */
import { BACKEND_KINDS, BAD_SAMPLE_POLICIES } from '@hrnet/core';
import type { KeypointPipelineConfigInput } from '@hrnet/data-coco';
import { HigherHrnetCodec, higherHrnetConfigSchema, type DecodeOptions, type HigherHrnetConfig } from '@hrnet/heads';
import { loadConfig, microBatchConfigSchema, type ConfigOverride } from '@hrnet/train';
import { z } from 'zod';

/** yacs writes tuples as strings, e.g. `WITH_HEATMAPS: (True, False)`: accept those and YAML lists. */
const boolTuple = z
  .union([
    z.array(z.boolean()),
    z.string().transform((s, ctx) => {
      const m = /^\s*\((.*)\)\s*$/.exec(s);
      const items = m ? m[1].split(',').map((t) => t.trim()).filter((t) => t !== '') : undefined;
      if (!items || items.some((t) => t !== 'True' && t !== 'False')) {
        ctx.addIssue({ code: 'custom', message: `expected a list of booleans or a Python tuple such as '(True, False)', got '${s}'` });
        return z.NEVER;
      }
      return items.map((t) => t === 'True');
    }),
  ])
  .pipe(z.array(z.boolean()).nonempty());

/** Accepted and not read (settings of the official PyTorch/CUDA script). */
const ignored = z.unknown().optional();

const positiveInt = z.number().int().positive();

const syntheticSchema = z.strictObject({
  /** Images per split. */
  TRAIN_IMAGES: positiveInt.default(256),
  VAL_IMAGES: positiveInt.default(32),
  /** Image side in pixels (square), or [width, height]. */
  IMAGE_SIZE: z.union([positiveInt, z.tuple([positiveInt, positiveInt])]).default(256),
  /** Labelled people per image, [min, max]. */
  PEOPLE_PER_IMAGE: z.tuple([positiveInt, positiveInt]).default([1, 3]),
  CROWD_PROBABILITY: z.number().min(0).max(1).default(0.2),
  ZERO_KEYPOINT_PROBABILITY: z.number().min(0).max(1).default(0.3),
  OCCLUSION_PROBABILITY: z.number().min(0).max(1).default(0.15),
  PARTIAL_PROBABILITY: z.number().min(0).max(1).default(0.1),
  /** Seed of the drawings (the training seed is TRAIN.SEED). */
  SEED: z.number().int().default(0),
});

const datasetSchema = z.strictObject({
  /** Official: the dataset folder. Here the root comes from `--datadir` (without it: a generated dataset). */
  ROOT: z.string().default(''),
  DATASET: z.literal('coco_kpt', { error: "only 'coco_kpt' (COCO keypoints, bottom-up) is implemented" }).default('coco_kpt'),
  DATASET_TEST: z.literal('coco', { error: "only 'coco' is implemented" }).default('coco'),
  NUM_JOINTS: positiveInt.default(17),
  MAX_NUM_PEOPLE: positiveInt.default(30),
  TRAIN: z.string().min(1).default('train2017'),
  TEST: z.string().min(1).default('val2017'),
  DATA_FORMAT: z.literal('jpg', { error: "only 'jpg' (image files) is supported; 'zip' archives are not" }).default('jpg'),
  MAX_ROTATION: z.number().min(0).default(30),
  MIN_SCALE: z.number().positive().default(0.75),
  MAX_SCALE: z.number().positive().default(1.25),
  SCALE_TYPE: z.enum(['short', 'long']).default('short'),
  MAX_TRANSLATE: z.number().min(0).default(40),
  INPUT_SIZE: positiveInt.multipleOf(32).default(512),
  OUTPUT_SIZE: z.union([positiveInt, z.array(positiveInt).nonempty()]).default([128, 256, 512]).transform((v) => (Array.isArray(v) ? v : [v])),
  FLIP: z.number().min(0).max(1).default(0.5),
  /** default.py's -1 means "OUTPUT_SIZE / 64 per size", which the targets here do not support: set it. */
  SIGMA: z.number().default(-1),
  SCALE_AWARE_SIGMA: z.boolean().default(false),
  BASE_SIZE: z.number().positive().default(256),
  BASE_SIGMA: z.number().positive().default(2),
  INT_SIGMA: z.boolean().default(false),
  WITH_CENTER: z.literal(false, { error: 'WITH_CENTER (an extra centre joint) is not supported' }).default(false),
  /** Port addition: the generated dataset used when no `--datadir` is given. */
  SYNTHETIC: syntheticSchema.prefault({}),
  /** Port addition: missing, empty, oversized or unreadable training images are left out and counted ('skip') or end the run ('fail'). */
  BAD_SAMPLES: z.enum(BAD_SAMPLE_POLICIES).default('skip'),
  /** Port addition: pixel budget per training image (width x height, checked before decoding). */
  MAX_IMAGE_PIXELS: positiveInt.default(2 ** 26),
});

const trainSchema = z.strictObject({
  LR_FACTOR: z.number().positive().default(0.1),
  LR_STEP: z.array(z.number().int().min(0)).default([90, 110]),
  LR: z.number().positive().default(0.001),
  OPTIMIZER: z.enum(['adam', 'sgd']).default('adam'),
  /** SGD only (the official Adam is built with the learning rate alone: no weight decay). */
  MOMENTUM: z.number().min(0).max(1).default(0.9),
  WD: z.number().min(0).default(0.0001),
  NESTEROV: z.boolean().default(false),
  /** Unused by the official code for adam/sgd. */
  GAMMA1: ignored,
  GAMMA2: ignored,
  BEGIN_EPOCH: z.number().int().min(0).default(0),
  END_EPOCH: positiveInt.default(140),
  /** Official: resume from OUTPUT_DIR's checkpoint (here: the newest epoch checkpoint there). */
  RESUME: z.boolean().default(false),
  CHECKPOINT: z.string().default(''),
  /** Batch size (one process: the global batch). */
  IMAGES_PER_GPU: positiveInt.default(32),
  /** Port addition: images per forward/backward pass ('auto': what fits; gradients accumulated to IMAGES_PER_GPU). */
  MICRO_BATCH: microBatchConfigSchema,
  SHUFFLE: z.boolean().default(true),
  /** Port additions. */
  SEED: z.number().int().default(0),
  /** `multistep` (official: LR_STEP / LR_FACTOR once per epoch) or `cosine` (per step, to MIN_LR). */
  LR_SCHEDULER: z.enum(['multistep', 'cosine']).default('multistep'),
  WARMUP_EPOCHS: z.number().min(0).default(0),
  MIN_LR: z.number().min(0).default(0),
  /** Epoch checkpoints kept in the output folder. */
  KEEP_CHECKPOINTS: positiveInt.default(3),
});

const testSchema = z.strictObject({
  /** valid.py runs one image at a time whatever this says. */
  IMAGES_PER_GPU: positiveInt.default(32),
  FLIP_TEST: z.boolean().default(false),
  ADJUST: z.boolean().default(true),
  REFINE: z.boolean().default(true),
  SCALE_FACTOR: z.array(z.number().positive()).nonempty().default([1]),
  DETECTION_THRESHOLD: z.number().default(0.2),
  TAG_THRESHOLD: z.number().positive().default(1),
  USE_DETECTION_VAL: z.boolean().default(true),
  IGNORE_TOO_MUCH: z.boolean().default(false),
  MODEL_FILE: z.string().default(''),
  IGNORE_CENTER: z.boolean().default(true),
  NMS_KERNEL: positiveInt.default(3),
  NMS_PADDING: z.number().int().min(0).default(1),
  /** Only true (heatmaps projected to the input size, as every published config) is implemented. */
  PROJECT2IMAGE: z.literal(true, { error: 'PROJECT2IMAGE: false is not supported (every published config sets True)' }).default(true as never),
  WITH_HEATMAPS: boolTuple.default([true]),
  WITH_AE: boolTuple.default([true]),
  LOG_PROGRESS: z.boolean().default(false),
});

const fp16Schema = z.strictObject({
  /** On TF.js' CPU backends there is no float16 compute; ENABLED turns on loss scaling only. */
  ENABLED: z.boolean().default(false),
  STATIC_LOSS_SCALE: z.number().positive().default(1),
  DYNAMIC_LOSS_SCALE: z.boolean().default(false),
});

const { MODEL: modelSchema, LOSS: lossSchema } = higherHrnetConfigSchema.shape;

export const poseConfigSchema = z
  .strictObject({
    OUTPUT_DIR: z.string().default(''),
    LOG_DIR: z.string().default(''),
    DATA_DIR: ignored,
    GPUS: ignored,
    /** Worker threads preparing training samples (0 = in the main thread, prefetching). */
    WORKERS: z.number().int().min(0).default(4),
    PRINT_FREQ: ignored,
    /** Resume from the newest checkpoint in the output folder when there is one. */
    AUTO_RESUME: z.boolean().default(false),
    PIN_MEMORY: ignored,
    RANK: ignored,
    VERBOSE: ignored,
    DIST_BACKEND: ignored,
    MULTIPROCESSING_DISTRIBUTED: ignored,
    FP16: fp16Schema.prefault({}),
    CUDNN: ignored,
    MODEL: modelSchema,
    LOSS: lossSchema,
    DATASET: datasetSchema.prefault({}),
    TRAIN: trainSchema.prefault({}),
    TEST: testSchema.prefault({}),
    DEBUG: ignored,
    /** Port addition: `initBackend` kind. */
    BACKEND: z.enum(BACKEND_KINDS).default('auto'),
  })
  .superRefine((cfg, ctx) => {
    // The network's own cross-field rules (stage branches, deconv lists, ...).
    const net = higherHrnetConfigSchema.safeParse({ MODEL: cfg.MODEL, LOSS: cfg.LOSS });
    if (!net.success) for (const issue of net.error.issues) if (issue.code === 'custom') ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    const stages = cfg.LOSS.NUM_STAGES;
    const outputs = 1 + cfg.MODEL.EXTRA.DECONV.NUM_DECONVS;
    const d = cfg.DATASET;
    // check_config in lib/config/default.py.
    for (const [block, key, list] of [
      ['LOSS', 'WITH_HEATMAPS_LOSS', cfg.LOSS.WITH_HEATMAPS_LOSS],
      ['LOSS', 'HEATMAPS_LOSS_FACTOR', cfg.LOSS.HEATMAPS_LOSS_FACTOR],
      ['LOSS', 'WITH_AE_LOSS', cfg.LOSS.WITH_AE_LOSS],
      ['LOSS', 'PUSH_LOSS_FACTOR', cfg.LOSS.PUSH_LOSS_FACTOR],
      ['LOSS', 'PULL_LOSS_FACTOR', cfg.LOSS.PULL_LOSS_FACTOR],
      ['TEST', 'WITH_HEATMAPS', cfg.TEST.WITH_HEATMAPS],
      ['TEST', 'WITH_AE', cfg.TEST.WITH_AE],
      ['DATASET', 'OUTPUT_SIZE', d.OUTPUT_SIZE],
    ] as const) {
      if (list.length !== stages) ctx.addIssue({ code: 'custom', path: [block, key], message: `needs LOSS.NUM_STAGES (${stages}) entries, got ${list.length}` });
    }
    if (stages !== outputs) ctx.addIssue({ code: 'custom', path: ['LOSS', 'NUM_STAGES'], message: `must equal the number of network outputs (1 + MODEL.EXTRA.DECONV.NUM_DECONVS = ${outputs})` });
    d.OUTPUT_SIZE.forEach((size, k) => {
      const expected = (d.INPUT_SIZE / 4) * 2 ** k;
      if (k < outputs && size !== expected) ctx.addIssue({ code: 'custom', path: ['DATASET', 'OUTPUT_SIZE', k], message: `output ${k} of a ${d.INPUT_SIZE} input is ${expected}x${expected}, got ${size}` });
    });
    if (d.NUM_JOINTS !== cfg.MODEL.NUM_JOINTS) ctx.addIssue({ code: 'custom', path: ['DATASET', 'NUM_JOINTS'], message: `must equal MODEL.NUM_JOINTS (${cfg.MODEL.NUM_JOINTS})` });
    if (d.NUM_JOINTS !== 17) ctx.addIssue({ code: 'custom', path: ['DATASET', 'NUM_JOINTS'], message: 'COCO keypoints have 17 joints' });
    if (d.SIGMA <= 0 && !d.SCALE_AWARE_SIGMA) ctx.addIssue({ code: 'custom', path: ['DATASET', 'SIGMA'], message: 'set a positive sigma (default.py\'s -1, "OUTPUT_SIZE/64 per size", is not supported)' });
    if (d.MIN_SCALE > d.MAX_SCALE) ctx.addIssue({ code: 'custom', path: ['DATASET', 'MIN_SCALE'], message: 'must not exceed MAX_SCALE' });
    const syn = d.SYNTHETIC.PEOPLE_PER_IMAGE;
    if (syn[0] > syn[1]) ctx.addIssue({ code: 'custom', path: ['DATASET', 'SYNTHETIC', 'PEOPLE_PER_IMAGE'], message: 'min must not exceed max' });
    if (cfg.TRAIN.BEGIN_EPOCH >= cfg.TRAIN.END_EPOCH) ctx.addIssue({ code: 'custom', path: ['TRAIN', 'BEGIN_EPOCH'], message: 'must be below END_EPOCH' });
    if (cfg.TRAIN.RESUME && cfg.TRAIN.CHECKPOINT) ctx.addIssue({ code: 'custom', path: ['TRAIN', 'CHECKPOINT'], message: 'use TRAIN.RESUME or --resume <file>, not both' });
    if (cfg.TEST.NMS_KERNEL % 2 === 0) ctx.addIssue({ code: 'custom', path: ['TEST', 'NMS_KERNEL'], message: 'must be odd' });
  });

export type PoseConfig = z.output<typeof poseConfigSchema>;
export type PoseConfigInput = z.input<typeof poseConfigSchema>;

/** Reads and validates a config file, with yacs-style `KEY VALUE` overrides; errors (ConfigError) name the file and every bad key. */
export function loadPoseConfig(file: string, overrides?: readonly ConfigOverride[]): Promise<PoseConfig> {
  return loadConfig(file, poseConfigSchema, { overrides });
}


/** The MODEL and LOSS blocks for `createHigherHRNet` / `createHigherHrnetLoss`. */
export function networkConfig(cfg: PoseConfig): HigherHrnetConfig {
  return { MODEL: cfg.MODEL, LOSS: cfg.LOSS } as HigherHrnetConfig;
}

/** The DATASET keys of the sample pipeline (`@hrnet/data-coco`): input size, joints, augmentation. */
export function pipelineConfig(cfg: PoseConfig): KeypointPipelineConfigInput {
  const d = cfg.DATASET;
  return {
    inputSize: d.INPUT_SIZE,
    numJoints: d.NUM_JOINTS,
    augment: { maxRotation: d.MAX_ROTATION, minScale: d.MIN_SCALE, maxScale: d.MAX_SCALE, scaleType: d.SCALE_TYPE, maxTranslate: d.MAX_TRANSLATE, flipProb: d.FLIP },
  };
}

/** The DATASET / MODEL keys of the training targets, as the family's codec. */
export function poseCodec(cfg: PoseConfig): HigherHrnetCodec {
  const d = cfg.DATASET;
  return new HigherHrnetCodec({
    numJoints: d.NUM_JOINTS,
    outputSizes: d.OUTPUT_SIZE.slice(0, cfg.LOSS.NUM_STAGES),
    sigma: d.SIGMA,
    maxPeople: d.MAX_NUM_PEOPLE,
    tagPerJoint: cfg.MODEL.TAG_PER_JOINT,
    scaleAwareSigma: d.SCALE_AWARE_SIGMA,
    baseSize: d.BASE_SIZE,
    baseSigma: d.BASE_SIGMA,
    intSigma: d.INT_SIGMA,
  });
}

/** The TEST block as `estimatePoses` / `decodePoses` options (without flip and scales). */
export function decodeOptions(cfg: PoseConfig): DecodeOptions {
  const t = cfg.TEST;
  return {
    maxNumPeople: cfg.DATASET.MAX_NUM_PEOPLE,
    detectionThreshold: t.DETECTION_THRESHOLD,
    tagThreshold: t.TAG_THRESHOLD,
    useDetectionVal: t.USE_DETECTION_VAL,
    ignoreTooMuch: t.IGNORE_TOO_MUCH,
    nmsKernel: t.NMS_KERNEL,
    nmsPadding: t.NMS_PADDING,
    adjust: t.ADJUST,
    refine: t.REFINE,
    withHeatmaps: t.WITH_HEATMAPS,
    withAe: t.WITH_AE,
    outputHasHeatmaps: cfg.LOSS.WITH_HEATMAPS_LOSS,
    outputHasTags: cfg.LOSS.WITH_AE_LOSS,
    tagPerJoint: cfg.MODEL.TAG_PER_JOINT,
  };
}
