import { parseHrnetConfig, type HrnetConfig } from '@hrnet/core';
import { z } from 'zod';
import { timmStage } from '../shared/official-stage.js';
import { parseOfficialConfig } from '../shared/parse-official-config.js';

/**
 * The official HigherHRNet config (HRNet/HigherHRNet-Human-Pose-Estimation, `lib/config/default.py` merged with
 * an `experiments/*.yaml`): the MODEL and LOSS blocks with their upper-case keys and values, as `yaml.load`
 * gives them. Keys missing from a block take default.py's value. Unknown keys are errors naming the key path;
 * keys that only matter to the official training script (INIT_WEIGHTS, PRETRAINED, PRETRAINED_LAYERS,
 * STEM_INPLANES, EXTRA.STAGE1) are accepted and ignored: the stem (64 channels) and layer1 (4 Bottlenecks) are
 * hard-coded in `PoseHigherResolutionNet`. The other top-level sections of the yaml (DATASET, TRAIN, TEST, …)
 * are accepted and not read here, so a whole parsed experiment file can be passed.
 */

const int = (min: number) => z.number().int().min(min);

const stageSchema = z
  .object({
    NUM_MODULES: int(1),
    NUM_BRANCHES: int(1),
    BLOCK: z.enum(['BASIC', 'BOTTLENECK']),
    NUM_BLOCKS: z.array(int(1)).nonempty(),
    NUM_CHANNELS: z.array(int(1)).nonempty(),
    FUSE_METHOD: z.literal('SUM'),
  })
  .strict();

const deconvSchema = z
  .object({
    NUM_DECONVS: int(0),
    NUM_CHANNELS: z.array(int(1)),
    /** `_get_deconv_cfg`: 4 → (padding 1, output_padding 0), 3 → (1, 1), 2 → (0, 0); each doubles the size. */
    KERNEL_SIZE: z.array(z.union([z.literal(2), z.literal(3), z.literal(4)], { error: 'deconv kernel must be 2, 3 or 4' })),
    NUM_BASIC_BLOCKS: int(0),
    CAT_OUTPUT: z.array(z.boolean()),
  })
  .strict();

const extraSchema = z
  .object({
    /** 1 (padding 0) or 3 (padding 1): the only kernels for which the official padding rule keeps the size. */
    FINAL_CONV_KERNEL: z.union([z.literal(1), z.literal(3)], { error: 'must be 1 or 3' }).default(1),
    PRETRAINED_LAYERS: z.array(z.string()).default(['*']),
    STEM_INPLANES: int(1).default(64),
    STAGE1: stageSchema.optional(),
    STAGE2: stageSchema,
    STAGE3: stageSchema,
    STAGE4: stageSchema,
    DECONV: deconvSchema,
  })
  .strict();

const modelSchema = z
  .object({
    /** Which network the official `models.<NAME>.get_pose_net` builds; only HigherHRNet is this one. */
    NAME: z.literal('pose_higher_hrnet').default('pose_higher_hrnet'),
    INIT_WEIGHTS: z.boolean().default(true),
    PRETRAINED: z.string().default(''),
    NUM_JOINTS: int(1).default(17),
    TAG_PER_JOINT: z.boolean().default(true),
    EXTRA: extraSchema,
  })
  .strict();

/** default.py's LOSS values (one stage); the published configs override all of them for two stages. */
const lossSchema = z
  .object({
    NUM_STAGES: int(1).default(1),
    WITH_HEATMAPS_LOSS: z.array(z.boolean()).default([true]),
    HEATMAPS_LOSS_FACTOR: z.array(z.number().nonnegative()).default([1.0]),
    WITH_AE_LOSS: z.array(z.boolean()).default([true]),
    AE_LOSS_TYPE: z.enum(['exp', 'max']).default('max'),
    PUSH_LOSS_FACTOR: z.array(z.number().nonnegative()).default([0.001]),
    PULL_LOSS_FACTOR: z.array(z.number().nonnegative()).default([0.001]),
  })
  .strict();

/** Top-level sections of default.py other than MODEL / LOSS: accepted, not read by the network or the loss. */
const OTHER_SECTIONS = [
  'OUTPUT_DIR', 'LOG_DIR', 'DATA_DIR', 'GPUS', 'WORKERS', 'PRINT_FREQ', 'AUTO_RESUME', 'PIN_MEMORY', 'RANK', 'VERBOSE',
  'DIST_BACKEND', 'MULTIPROCESSING_DISTRIBUTED', 'FP16', 'CUDNN', 'DATASET', 'TRAIN', 'TEST', 'DEBUG',
] as const;

export const higherHrnetConfigSchema = z
  .object({
    MODEL: modelSchema,
    LOSS: lossSchema.prefault({}),
    ...Object.fromEntries(OTHER_SECTIONS.map((k) => [k, z.unknown().optional()])),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const extra = cfg.MODEL.EXTRA;
    (['STAGE2', 'STAGE3', 'STAGE4'] as const).forEach((key, s) => {
      const stage = extra[key];
      const path = ['MODEL', 'EXTRA', key];
      if (stage.NUM_BRANCHES !== s + 2) {
        ctx.addIssue({ code: 'custom', path: [...path, 'NUM_BRANCHES'], message: `must be ${s + 2} (one new branch per stage), got ${stage.NUM_BRANCHES}` });
      }
      for (const list of ['NUM_BLOCKS', 'NUM_CHANNELS'] as const) {
        if (stage[list].length !== stage.NUM_BRANCHES) {
          ctx.addIssue({ code: 'custom', path: [...path, list], message: `needs one entry per branch (${stage.NUM_BRANCHES}), got ${stage[list].length}` });
        }
      }
    });
    const d = extra.DECONV;
    for (const list of ['NUM_CHANNELS', 'KERNEL_SIZE', 'CAT_OUTPUT'] as const) {
      if (d[list].length < d.NUM_DECONVS) {
        ctx.addIssue({ code: 'custom', path: ['MODEL', 'EXTRA', 'DECONV', list], message: `needs an entry per deconv (NUM_DECONVS ${d.NUM_DECONVS}), got ${d[list].length}` });
      }
    }
    // `_make_final_layers` reads WITH_AE_LOSS[i] for every output i (1 + NUM_DECONVS of them).
    if (cfg.LOSS.WITH_AE_LOSS.length < d.NUM_DECONVS + 1) {
      ctx.addIssue({ code: 'custom', path: ['LOSS', 'WITH_AE_LOSS'], message: `needs an entry per output (1 + NUM_DECONVS = ${d.NUM_DECONVS + 1}), got ${cfg.LOSS.WITH_AE_LOSS.length}` });
    }
  });

/** What users may pass (defaults optional), e.g. `JSON.parse` / `yaml.load` of an experiment file. */
export type HigherHrnetConfigInput = z.input<typeof higherHrnetConfigSchema>;
/** A validated config with default.py's defaults filled in. */
export type HigherHrnetConfig = z.output<typeof higherHrnetConfigSchema>;
export type HigherHrnetLossConfig = HigherHrnetConfig['LOSS'];

/** Validates a HigherHRNet config; the error names every offending key path, e.g. `MODEL.EXTRA.DECONV.KERNEL_SIZE`. */
export function parseHigherHrnetConfig(cfg: unknown, source = 'HigherHRNet config'): HigherHrnetConfig {
  return parseOfficialConfig(higherHrnetConfigSchema, cfg, source);
}

/**
 * The backbone part as a timm-style cfg for `hrnetFeatures`: fixed stem (64) and layer1 (4 Bottlenecks of 64
 * planes), stages 2–4 from EXTRA.
 */
export function higherHrnetBackboneConfig(cfg: HigherHrnetConfig): HrnetConfig {
  const e = cfg.MODEL.EXTRA;
  return parseHrnetConfig(
    {
      stem_width: 64,
      stage1: { num_modules: 1, num_branches: 1, block_type: 'BOTTLENECK', num_blocks: [4], num_channels: [64], fuse_method: 'SUM' },
      stage2: timmStage(e.STAGE2),
      stage3: timmStage(e.STAGE3),
      stage4: timmStage(e.STAGE4),
    },
    'HigherHRNet MODEL.EXTRA',
  );
}
