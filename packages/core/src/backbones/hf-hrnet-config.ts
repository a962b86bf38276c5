import { z } from 'zod';

const positiveInt = z.number().int().positive();

/**
 * HF-HRNet's `extra` dict as the official configs write it (`zhanghao5201/HF-HRNet`,
 * `configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/coco/hf_hrnet_*.py`, `model.backbone.extra`), same keys and values.
 */
export const hfHrnetConfigSchema = z
  .object({
    stem: z
      .object({
        stem_channels: positiveInt,
        out_channels: positiveInt,
        // Kept so the official dict validates verbatim; HF-HRNet's stem does not read it (Lite-HRNet's does).
        expand_ratio: z.number().positive().optional(),
      })
      .strict(),
    num_stages: positiveInt,
    stages_spec: z
      .object({
        num_modules: z.array(positiveInt),
        // One branch would take the official module's single-branch path, which runs only its first block.
        num_branches: z.array(z.number().int().min(2, 'HF-HRNet stages have at least 2 branches')),
        num_blocks: z.array(positiveInt),
        with_fuse: z.array(z.boolean()),
        reduce_ratios: z.array(z.number().positive()),
        num_channels: z.array(z.array(positiveInt)),
      })
      .strict(),
    with_head: z.boolean(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const spec = cfg.stages_spec;
    for (const key of Object.keys(spec) as Array<keyof typeof spec>) {
      if (spec[key].length !== cfg.num_stages) {
        ctx.addIssue({ code: 'custom', path: ['stages_spec', key], message: `needs one entry per stage (num_stages = ${cfg.num_stages}), got ${spec[key].length}` });
      }
    }
    spec.num_channels.forEach((widths, s) => {
      const branches = spec.num_branches[s];
      if (branches !== undefined && widths.length !== branches) {
        ctx.addIssue({ code: 'custom', path: ['stages_spec', 'num_channels', s], message: `needs one width per branch (num_branches[${s}] = ${branches}), got ${widths.length}` });
      }
      const ratio = spec.reduce_ratios[s];
      const total = widths.reduce((a, b) => a + b, 0);
      if (ratio !== undefined && Math.trunc(total / ratio) < 1) {
        ctx.addIssue({ code: 'custom', path: ['stages_spec', 'reduce_ratios', s], message: `leaves int(${total} / ${ratio}) = 0 channels in the cross-resolution weighting` });
      }
    });
  });

/** A validated HF-HRNet `extra` dict. */
export type HfHrnetConfig = z.output<typeof hfHrnetConfigSchema>;
export type HfHrnetConfigInput = z.input<typeof hfHrnetConfigSchema>;

/** True for a dict in HF-HRNet's layout (timm HRNet cfgs have `stage1` … `stage4` instead). */
export function isHfHrnetConfig(cfg: unknown): boolean {
  return typeof cfg === 'object' && cfg !== null && ['stem', 'num_stages', 'stages_spec', 'with_head'].some((k) => k in cfg);
}

/** Validates an `extra` dict; the error names every offending key path, e.g. `stages_spec.num_channels.2`. */
export function parseHfHrnetConfig(cfg: unknown, source = 'HF-HRNet extra dict'): HfHrnetConfig {
  const result = hfHrnetConfigSchema.safeParse(cfg);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`invalid ${source}:\n${lines.join('\n')}`);
}
