import type { HrnetConfig, HrnetStageConfig } from './hrnet-config.js';

/** Builds a stage entry; `blocks` and `widths` are per branch. */
function stage(modules: number, blockType: 'BASIC' | 'BOTTLENECK', blocks: number[], widths: number[]): HrnetStageConfig {
  return {
    num_modules: modules,
    num_branches: widths.length,
    block_type: blockType,
    num_blocks: blocks as [number, ...number[]],
    num_channels: widths as [number, ...number[]],
    fuse_method: 'SUM',
  };
}

/** The standard layout (w18 … w64): stage1 4x64 Bottleneck, then 1/4/3 modules of 4 BasicBlocks per branch. */
function standard(c: number): HrnetConfig {
  const w = [c, 2 * c, 4 * c, 8 * c];
  return {
    stem_width: 64,
    stage1: stage(1, 'BOTTLENECK', [4], [64]),
    stage2: stage(1, 'BASIC', [4, 4], w.slice(0, 2)),
    stage3: stage(4, 'BASIC', [4, 4, 4], w.slice(0, 3)),
    stage4: stage(3, 'BASIC', [4, 4, 4, 4], w),
  };
}

/** timm `cfg_cls`, variant by variant (timm v0.9.16). */
export const HRNET_VARIANTS: Readonly<Record<string, HrnetConfig>> = {
  hrnet_w18_small: {
    stem_width: 64,
    stage1: stage(1, 'BOTTLENECK', [1], [32]),
    stage2: stage(1, 'BASIC', [2, 2], [16, 32]),
    stage3: stage(1, 'BASIC', [2, 2, 2], [16, 32, 64]),
    stage4: stage(1, 'BASIC', [2, 2, 2, 2], [16, 32, 64, 128]),
  },
  hrnet_w18_small_v2: {
    stem_width: 64,
    stage1: stage(1, 'BOTTLENECK', [2], [64]),
    stage2: stage(1, 'BASIC', [2, 2], [18, 36]),
    stage3: stage(3, 'BASIC', [2, 2, 2], [18, 36, 72]),
    stage4: stage(2, 'BASIC', [2, 2, 2, 2], [18, 36, 72, 144]),
  },
  hrnet_w18: standard(18),
  hrnet_w30: standard(30),
  hrnet_w32: standard(32),
  hrnet_w40: standard(40),
  hrnet_w44: standard(44),
  hrnet_w48: standard(48),
  hrnet_w64: standard(64),
};
