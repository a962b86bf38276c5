import type { HfHrnetConfig } from './hf-hrnet-config.js';

/** The official COCO configs' backbone (`hf_hrnet_{18,30}256192_0315_19.py`): they differ only in modules per stage. */
function hfHrnet(numModules: [number, number, number]): HfHrnetConfig {
  return {
    stem: { stem_channels: 32, out_channels: 48, expand_ratio: 1 },
    num_stages: 3,
    stages_spec: {
      num_modules: numModules,
      num_branches: [2, 3, 4],
      num_blocks: [2, 2, 2],
      with_fuse: [true, true, true],
      reduce_ratios: [8, 8, 8],
      num_channels: [[48, 96], [48, 96, 192], [48, 96, 192, 384]],
    },
    with_head: true,
  };
}

export const HF_HRNET_VARIANTS: Readonly<Record<string, HfHrnetConfig>> = {
  hf_hrnet_18: hfHrnet([2, 4, 2]),
  hf_hrnet_30: hfHrnet([3, 8, 3]),
};
