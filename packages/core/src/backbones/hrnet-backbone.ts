import * as tf from '@tensorflow/tfjs';
import { highResolutionModule, type FuseUpsample } from '../blocks/high-resolution-module.js';
import { BLOCKS, residualLayer } from '../blocks/residual-layer.js';
import { hrnetStem } from '../blocks/stem.js';
import { transition, type TransitionSource } from '../blocks/transition.js';
import { channelsOf, type Sym } from '../layers/functional.js';
import { ImageInputCheck } from '../layers/image-input-check.js';
import type { HrnetConfig } from './hrnet-config.js';

/** One entry per returned feature map, as timm's `feature_info`. */
export interface FeatureInfo {
  name: string;
  channels: number;
  /** Input side / feature side. */
  reduction: number;
}

export interface HrnetFeatureOptions {
  /** false: the last module of stage 4 returns only the 1/4 branch (HigherHRNet). Default true. */
  multiScaleOutput?: boolean;
  /**
   * Fuse-layer upsampling; default nearest ×2^k (timm). `{ mode: 'bilinear', alignCorners }` is seg_hrnet's,
   * which resizes to the exact branch size, so the input then only needs H, W ≥ 1 (not multiples of 32).
   */
  fuseUpsample?: FuseUpsample;
  /** Input of a width-changing transition of an existing branch; default 'last' (timm), 'own' (seg_hrnet). */
  transitionFrom?: TransitionSource;
}

const STAGES = ['stage2', 'stage3', 'stage4'] as const;

/**
 * Builds the HRNet trunk on a symbolic NHWC input and returns the stage-4 branch outputs, highest
 * resolution first. Heads call this to compose one functional graph whose layer names are the PyTorch
 * module paths (`conv1`, `layer1.0.conv1`, `stage2.0.fuse_layers.1.0.0`, …).
 */
export function hrnetFeatures(input: Sym, cfg: HrnetConfig, opts: HrnetFeatureOptions = {}): Sym[] {
  const s1 = cfg.stage1;
  const divisor = opts.fuseUpsample?.mode === 'bilinear' ? 1 : 32;
  const x = new ImageInputCheck({ name: 'input_check', divisor, channels: channelsOf(input) }).apply(input) as Sym;
  let ys = [residualLayer(hrnetStem(x, cfg.stem_width), 'layer1', s1.block_type, s1.num_channels[0], s1.num_blocks[0])];
  STAGES.forEach((key, s) => {
    const stage = cfg[key];
    const widths = stage.num_channels.map((c) => c * BLOCKS[stage.block_type].expansion);
    ys = transition(ys, widths, `transition${s + 1}`, opts.transitionFrom);
    for (let m = 0; m < stage.num_modules; m++) {
      const lastOfNet = key === 'stage4' && m === stage.num_modules - 1;
      ys = highResolutionModule(ys, {
        name: `${key}.${m}`,
        blockType: stage.block_type,
        numBlocks: stage.num_blocks,
        numChannels: stage.num_channels,
        multiScaleOutput: !lastOfNet || opts.multiScaleOutput !== false,
        fuseUpsample: opts.fuseUpsample,
      });
    }
  });
  return ys;
}

/** Channels and reductions of {@link hrnetFeatures}' outputs. */
export function hrnetFeatureInfo(cfg: HrnetConfig): FeatureInfo[] {
  const s4 = cfg.stage4;
  return s4.num_channels.map((c, i) => ({
    name: `stage4.b${i}`,
    channels: c * BLOCKS[s4.block_type].expansion,
    reduction: 4 * 2 ** i,
  }));
}

export interface InputOptions {
  /** [H, W, C]; H and W may be null for any size (multiples of 32). Default [null, null, 3]. */
  inputShape?: [number | null, number | null, number];
}

export function imageInput({ inputShape = [null, null, 3] }: InputOptions = {}): Sym {
  return tf.input({ shape: inputShape, name: 'image' });
}
