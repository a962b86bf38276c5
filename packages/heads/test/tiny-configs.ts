import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HrnetConfigInput } from '@hrnet/core';

/** A tiny timm HRNet cfg: one module of one block per stage, `widths` the stage-4 branch widths. */
export function tinyHrnetConfig(stemWidth: number, widths: [number, number, number, number]): HrnetConfigInput {
  const stage = (w: number[]) => ({ num_modules: 1, num_branches: w.length, block_type: 'BASIC' as const, num_blocks: w.map(() => 1), num_channels: w, fuse_method: 'SUM' as const });
  return {
    stem_width: stemWidth,
    stage1: { num_modules: 1, num_branches: 1, block_type: 'BOTTLENECK', num_blocks: [1], num_channels: [widths[0]], fuse_method: 'SUM' },
    stage2: stage(widths.slice(0, 2)),
    stage3: stage(widths.slice(0, 3)),
    stage4: stage(widths),
  };
}

/** The tiny HigherHRNet of fixtures/higherhrnet/model_tiny (its MODEL block and LOSS.WITH_AE_LOSS). */
export const HIGHER_TINY_CONFIG = JSON.parse(readFileSync(fileURLToPath(new URL('../../../fixtures/higherhrnet/model_tiny/config.json', import.meta.url)), 'utf8'));
