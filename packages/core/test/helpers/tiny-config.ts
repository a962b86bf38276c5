import type { HrnetConfigInput } from '../../src/index.js';

/** A four-stage HRNet small enough for unit tests (every block kind, every fuse path). */
const stage = (n: number, widths: number[]) => ({
  num_modules: 1, num_branches: n, block_type: 'BASIC' as const,
  num_blocks: widths.map(() => 1), num_channels: widths, fuse_method: 'SUM' as const,
});
export const TINY: HrnetConfigInput = {
  stem_width: 16,
  stage1: { num_modules: 1, num_branches: 1, block_type: 'BOTTLENECK', num_blocks: [1], num_channels: [8], fuse_method: 'SUM' },
  stage2: stage(2, [8, 16]),
  stage3: stage(3, [8, 16, 32]),
  stage4: stage(4, [8, 16, 32, 64]),
};
