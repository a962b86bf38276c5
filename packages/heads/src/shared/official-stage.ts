/** A STAGEk block of the official HRNet repositories' MODEL.EXTRA (upper-case keys). */
export interface OfficialStage {
  NUM_MODULES: number;
  NUM_BRANCHES: number;
  BLOCK: 'BASIC' | 'BOTTLENECK';
  NUM_BLOCKS: number[];
  NUM_CHANNELS: number[];
  FUSE_METHOD: 'SUM';
}

/** The same stage in core's timm-style cfg keys. */
export function timmStage(s: OfficialStage) {
  return {
    num_modules: s.NUM_MODULES,
    num_branches: s.NUM_BRANCHES,
    block_type: s.BLOCK,
    num_blocks: s.NUM_BLOCKS,
    num_channels: s.NUM_CHANNELS,
    fuse_method: s.FUSE_METHOD,
  };
}
