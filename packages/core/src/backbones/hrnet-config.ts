import { z } from 'zod';

/** One stage of a timm HRNet cfg dict (`timm/models/hrnet.py` `cfg_cls`), same keys and values. */
const stageSchema = z
  .object({
    num_modules: z.number().int().positive(),
    num_branches: z.number().int().positive(),
    block_type: z.enum(['BASIC', 'BOTTLENECK']),
    num_blocks: z.array(z.number().int().positive()).nonempty(),
    num_channels: z.array(z.number().int().positive()).nonempty(),
    fuse_method: z.literal('SUM'),
  })
  .strict();

export const hrnetConfigSchema = z
  .object({
    stem_width: z.number().int().positive().default(64),
    stage1: stageSchema,
    stage2: stageSchema,
    stage3: stageSchema,
    stage4: stageSchema,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    (['stage1', 'stage2', 'stage3', 'stage4'] as const).forEach((key, k) => {
      const stage = cfg[key];
      if (stage.num_branches !== k + 1) {
        ctx.addIssue({ code: 'custom', path: [key, 'num_branches'], message: `must be ${k + 1} (one new branch per stage), got ${stage.num_branches}` });
      }
      for (const list of ['num_blocks', 'num_channels'] as const) {
        if (stage[list].length !== stage.num_branches) {
          ctx.addIssue({ code: 'custom', path: [key, list], message: `needs one entry per branch (${stage.num_branches}), got ${stage[list].length}` });
        }
      }
    });
  });

export type HrnetStageConfig = z.infer<typeof stageSchema>;
/** A validated timm-style HRNet cfg. */
export type HrnetConfig = z.output<typeof hrnetConfigSchema>;
/** What users may pass: `stem_width` optional. */
export type HrnetConfigInput = z.input<typeof hrnetConfigSchema>;

/** Validates a cfg dict; the error names every offending key path, e.g. `stage3.num_channels`. */
export function parseHrnetConfig(cfg: unknown, source = 'HRNet cfg'): HrnetConfig {
  const result = hrnetConfigSchema.safeParse(cfg);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`invalid ${source}:\n${lines.join('\n')}`);
}
