import { parseHrnetConfig, resolveConfig, type HrnetConfig } from '@hrnet/core';
import { z } from 'zod';
import { timmStage } from '../shared/official-stage.js';
import { parseOfficialConfig } from '../shared/parse-official-config.js';

/**
 * The `MODEL.EXTRA` block of an official HRNet-Semantic-Segmentation experiment yaml
 * (`experiments/cityscapes/seg_hrnet_w48_*.yaml`), with its upper-case keys and values as `yaml.load` gives
 * them. seg_hrnet.py reads STAGE1's BLOCK / NUM_BLOCKS / NUM_CHANNELS only (layer1 is one residual layer); the
 * shipped yamls spell its branch count `NUM_RANCHES`, accepted as they are. Unknown keys are errors naming the key.
 */
const int = (min: number) => z.number().int().min(min);
const blocks = { BLOCK: z.enum(['BASIC', 'BOTTLENECK']), NUM_BLOCKS: z.array(int(1)).nonempty(), NUM_CHANNELS: z.array(int(1)).nonempty() };

const stage1Schema = z
  .object({
    NUM_MODULES: z.literal(1, { error: 'must be 1 (layer1 is one residual layer)' }).optional(),
    NUM_BRANCHES: z.literal(1, { error: 'must be 1' }).optional(),
    NUM_RANCHES: z.literal(1, { error: 'must be 1' }).optional(),
    ...blocks,
    FUSE_METHOD: z.literal('SUM').optional(),
  })
  .strict();

const stageSchema = z.object({ NUM_MODULES: int(1), NUM_BRANCHES: int(1), ...blocks, FUSE_METHOD: z.literal('SUM') }).strict();

export const segExtraSchema = z
  .object({
    /** 1 (padding 0) or 3 (padding 1): the official padding rule keeps the size for these two only. */
    FINAL_CONV_KERNEL: z.union([z.literal(1), z.literal(3)], { error: 'must be 1 or 3' }).default(1),
    STAGE1: stage1Schema,
    STAGE2: stageSchema,
    STAGE3: stageSchema,
    STAGE4: stageSchema,
  })
  .strict()
  .superRefine((extra, ctx) => {
    (['STAGE1', 'STAGE2', 'STAGE3', 'STAGE4'] as const).forEach((key, s) => {
      const stage = extra[key];
      const branches = s + 1;
      if (stage.NUM_BRANCHES !== undefined && stage.NUM_BRANCHES !== branches) {
        ctx.addIssue({ code: 'custom', path: [key, 'NUM_BRANCHES'], message: `must be ${branches} (one new branch per stage), got ${stage.NUM_BRANCHES}` });
      }
      for (const list of ['NUM_BLOCKS', 'NUM_CHANNELS'] as const) {
        if (stage[list].length !== branches) {
          ctx.addIssue({ code: 'custom', path: [key, list], message: `needs one entry per branch (${branches}), got ${stage[list].length}` });
        }
      }
    });
  });

/** What users may pass: `yaml.load(experiment).MODEL.EXTRA`. */
export type SegExtraInput = z.input<typeof segExtraSchema>;
export type SegExtra = z.output<typeof segExtraSchema>;

/** The network a segmenter is built from: the backbone cfg and the classifier kernel. */
export interface SegNetworkConfig {
  backbone: HrnetConfig;
  finalConvKernel: 1 | 3;
}

/** Validates a MODEL.EXTRA block; the error names every offending key path, e.g. `MODEL.EXTRA.STAGE3.NUM_CHANNELS`. */
export function parseSegExtra(extra: unknown, source = 'MODEL.EXTRA'): SegExtra {
  return parseOfficialConfig(segExtraSchema, extra, source);
}

/** MODEL.EXTRA → core's timm-style cfg (seg_hrnet hard-codes the 64-wide stem). */
export function segBackboneConfig(extra: SegExtra): HrnetConfig {
  const s1 = extra.STAGE1;
  return parseHrnetConfig(
    {
      stem_width: 64,
      stage1: { num_modules: 1, num_branches: 1, block_type: s1.BLOCK, num_blocks: s1.NUM_BLOCKS, num_channels: s1.NUM_CHANNELS, fuse_method: 'SUM' },
      stage2: timmStage(extra.STAGE2),
      stage3: timmStage(extra.STAGE3),
      stage4: timmStage(extra.STAGE4),
    },
    'MODEL.EXTRA',
  );
}

/**
 * A registry name of @hrnet/core (`hrnet_w18`, `hrnet_w48`, …; the seg repo's HRNetV2-W48 is `hrnet_w48`) or a
 * MODEL.EXTRA block → the network config. A registry cfg must keep seg_hrnet's 64-wide stem.
 */
export function resolveSegNetwork(nameOrExtra: string | SegExtraInput): SegNetworkConfig {
  if (typeof nameOrExtra !== 'string') {
    const extra = parseSegExtra(nameOrExtra);
    return { backbone: segBackboneConfig(extra), finalConvKernel: extra.FINAL_CONV_KERNEL };
  }
  const backbone = resolveConfig(nameOrExtra);
  if (backbone.stem_width !== 64) throw new Error(`model '${nameOrExtra}': seg_hrnet's stem is 64 wide, the registered cfg has stem_width ${backbone.stem_width}`);
  return { backbone, finalConvKernel: 1 };
}
