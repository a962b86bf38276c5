import { humModule } from '../blocks/hum-module.js';
import { humStem } from '../blocks/hum-stem.js';
import { humTransition } from '../blocks/hum-transition.js';
import { iterativeHead } from '../blocks/iterative-head.js';
import { channelsOf, type Sym } from '../layers/functional.js';
import { ImageInputCheck } from '../layers/image-input-check.js';
import type { FeatureInfo } from './hrnet-backbone.js';
import type { HfHrnetConfig } from './hf-hrnet-config.js';

/**
 * What H and W must be multiples of: the lowest branch (1/(4·2^(n−1)) of the input) must have even sides,
 * or the pooled-context paths (3×3/2 average, then ×2 nearest) and the cross-resolution weighting do not
 * restore its size. 64 for the official four-branch configs.
 */
export function hfHrnetInputDivisor(cfg: HfHrnetConfig): number {
  return 2 ** (Math.max(...cfg.stages_spec.num_branches) + 2);
}

/**
 * Builds HF-HRNet (`HF_HRNet` of zhanghao5201/HF-HRNet) on a symbolic NHWC input and returns its one output:
 * the IterativeHead's highest-resolution map (1/4 of the input, `num_channels[-1][0]` channels), or the
 * last stage's branch 0 when `with_head` is false. Layer names are the PyTorch module paths (`stem.conv2.conv1.0`,
 * `stage1.0.layers.1.global1.2.1`, `head_layer.projects.3.pointwise_conv.bn`, …). An input whose fixed
 * size the network cannot take is rejected here, naming the size; a dynamic one at call time.
 */
export function hfHrnetFeatures(input: Sym, cfg: HfHrnetConfig): Sym {
  const divisor = hfHrnetInputDivisor(cfg);
  const [, h, w] = input.shape;
  if ((h != null && h % divisor !== 0) || (w != null && w % divisor !== 0)) {
    throw new Error(`HF-HRNet input size ${h ?? 'any'}x${w ?? 'any'} (HxW): H and W must be multiples of ${divisor}`);
  }
  const x = new ImageInputCheck({ name: 'input_check', divisor, channels: channelsOf(input) }).apply(input) as Sym;
  const spec = cfg.stages_spec;
  let ys = [humStem(x, cfg.stem)];
  for (let s = 0; s < cfg.num_stages; s++) {
    ys = humTransition(ys, spec.num_channels[s], `transition${s}`);
    for (let m = 0; m < spec.num_modules[s]; m++) {
      ys = humModule(ys, { name: `stage${s}.${m}`, numBlocks: spec.num_blocks[s], reduceRatio: spec.reduce_ratios[s], withFuse: spec.with_fuse[s] });
    }
  }
  return cfg.with_head ? iterativeHead(ys, 'head_layer') : ys[0];
}

/** Channels and reduction of {@link hfHrnetFeatures}' output. */
export function hfHrnetFeatureInfo(cfg: HfHrnetConfig): FeatureInfo[] {
  const last = cfg.num_stages - 1;
  return [{ name: cfg.with_head ? 'head_layer' : `stage${last}.b0`, channels: cfg.stages_spec.num_channels[last][0], reduction: 4 }];
}
