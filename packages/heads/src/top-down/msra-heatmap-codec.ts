/**
 * MMPose's MSRA Gaussian heatmap codec of the top-down COCO configs, in one class: `encode` is
 * `TopDownGenerateTarget` (target_type 'GaussianHeatmap', unbiased_encoding False), `decode` is
 * `keypoints_from_heatmaps` with `post_process='default'` (argmax, then a quarter-pixel step towards the higher
 * neighbour) and `transform_preds` back to the image, `flipBack` is `flip_back` plus the `shift_heatmap` of the
 * flip test.
 */
import * as tf from '@tensorflow/tfjs';
import { COCO_FLIP_INDEX, PIXEL_STD, type EncodedTargets, type Point2, type TopDownSample, type TopDownTargetEncoder } from '@hrnet/core';
import type { TopDownConfig, TopDownConfigInput } from './top-down-config.js';
import { resolveTopDownConfig } from './top-down-presets.js';

export interface MsraHeatmapCodecOptions {
  /** `data_cfg.image_size`, `[width, height]`. */
  imageSize: readonly [number, number];
  /** `data_cfg.heatmap_size`, `[width, height]`. */
  heatmapSize: readonly [number, number];
  /** TopDownGenerateTarget's sigma (heatmap pixels). */
  sigma: number;
  numJoints?: number;
  /** Left/right permutation (COCO's by default). */
  flipIndex?: readonly number[];
  /** `test_cfg.post_process`: 'default' (quarter-pixel shift) or null (plain argmax). Default 'default'. */
  postProcess?: 'default' | null;
  /** `test_cfg.shift_heatmap`: shift the flipped-back heatmaps one pixel right. Default true. */
  shiftHeatmap?: boolean;
}

export class MsraHeatmapCodec implements TopDownTargetEncoder {
  readonly imageSize: readonly [number, number];
  readonly heatmapSize: readonly [number, number];
  readonly sigma: number;
  readonly numJoints: number;
  readonly flipIndex: readonly number[];
  readonly postProcess: 'default' | null;
  readonly shiftHeatmap: boolean;

  constructor(o: MsraHeatmapCodecOptions) {
    for (const [k, v] of [['imageSize', o.imageSize], ['heatmapSize', o.heatmapSize]] as const) {
      if (v.length !== 2 || v.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error(`MSRA heatmap codec: ${k} must be [width, height] of positive integers, got [${v.join(', ')}]`);
    }
    if (!(o.sigma > 0)) throw new Error(`MSRA heatmap codec: sigma must be positive, got ${o.sigma}`);
    this.imageSize = [...o.imageSize] as [number, number];
    this.heatmapSize = [...o.heatmapSize] as [number, number];
    this.sigma = o.sigma;
    this.numJoints = o.numJoints ?? 17;
    this.flipIndex = [...(o.flipIndex ?? COCO_FLIP_INDEX)];
    if (this.flipIndex.length !== this.numJoints) throw new Error(`MSRA heatmap codec: flipIndex has ${this.flipIndex.length} entries for ${this.numJoints} joints`);
    this.postProcess = o.postProcess === undefined ? 'default' : o.postProcess;
    this.shiftHeatmap = o.shiftHeatmap ?? true;
  }

  /** The codec of a family config (or preset name): its sizes, sigma and `test_cfg`. */
  static fromConfig(nameOrCfg: string | TopDownConfigInput | TopDownConfig): MsraHeatmapCodec {
    const cfg = resolveTopDownConfig(nameOrCfg as string | TopDownConfigInput);
    const t = cfg.model.test_cfg;
    return new MsraHeatmapCodec({
      imageSize: cfg.image_size,
      heatmapSize: cfg.heatmap_size,
      sigma: cfg.sigma,
      numJoints: cfg.model.keypoint_head.out_channels,
      postProcess: t.post_process,
      shiftHeatmap: t.shift_heatmap,
    });
  }

  /** `[width, height]` of the network input (what the data pipeline crops to). */
  get inputSize(): readonly [number, number] {
    return this.imageSize;
  }

  /**
   * `_msra_generate_target`: per joint a Gaussian of `sigma` centred on the joint's heatmap pixel
   * (`int(x / stride + 0.5)`), cut at 3 sigma; weight = visibility, 0 when the Gaussian's square misses the map.
   * Returns `heatmaps` `[H, W, J]` (channels last, as the model's output) and `target_weight` `[J]`.
   */
  encode(sample: TopDownSample): EncodedTargets {
    const J = this.numJoints;
    if (sample.numJoints !== J || sample.joints.length !== J * 3) throw new Error(`MSRA heatmap codec: the sample has ${sample.numJoints} joints (${sample.joints.length} numbers), the codec ${J}`);
    if (sample.inputSize[0] !== this.imageSize[0] || sample.inputSize[1] !== this.imageSize[1]) {
      throw new Error(`MSRA heatmap codec: the sample is ${sample.inputSize.join('x')} (WxH), the codec's image_size ${this.imageSize.join('x')}`);
    }
    const [W, H] = this.heatmapSize;
    const strideX = this.imageSize[0] / W;
    const strideY = this.imageSize[1] / H;
    const tmp = this.sigma * 3;
    const size = 2 * tmp + 1;
    const half = Math.floor(size / 2);
    const n = Math.ceil(size);
    const denom = Math.fround(2 * this.sigma ** 2);
    const g = new Float32Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) g[y * n + x] = Math.exp(-Math.fround(Math.fround((x - half) ** 2 + (y - half) ** 2) / denom));
    const target = new Float32Array(H * W * J);
    const weight = new Float32Array(J);
    for (let j = 0; j < J; j++) {
      weight[j] = sample.joints[j * 3 + 2]!;
      const muX = Math.trunc(sample.joints[j * 3]! / strideX + 0.5);
      const muY = Math.trunc(sample.joints[j * 3 + 1]! / strideY + 0.5);
      const ul = [Math.trunc(muX - tmp), Math.trunc(muY - tmp)];
      const br = [Math.trunc(muX + tmp + 1), Math.trunc(muY + tmp + 1)];
      if (ul[0]! >= W || ul[1]! >= H || br[0]! < 0 || br[1]! < 0) weight[j] = 0;
      if (!(weight[j]! > 0.5)) continue;
      const x0 = Math.max(0, ul[0]!);
      const x1 = Math.min(br[0]!, W);
      const y0 = Math.max(0, ul[1]!);
      const y1 = Math.min(br[1]!, H);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) target[(y * W + x) * J + j] = g[(y - ul[1]!) * n + (x - ul[0]!)]!;
    }
    return { heatmaps: [{ data: target, shape: [H, W, J] }], target_weight: [{ data: weight, shape: [J] }] };
  }

  /**
   * The mirrored input's heatmaps `[N, H, W, J]` back in the original's frame (`flip_back`: swap left/right joints,
   * mirror the width), then, with `shiftHeatmap`, every column moved one pixel right (`out[..., 1:] = out[..., :-1]`,
   * column 0 kept). Average with the unflipped output for the flip test.
   */
  flipBack(flipped: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let x = tf.gather(tf.reverse(flipped, 2), this.flipIndex as number[], 3) as tf.Tensor4D;
      const width = x.shape[2];
      if (this.shiftHeatmap && width > 1) x = tf.concat([tf.slice(x, [0, 0, 0, 0], [-1, -1, 1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, width - 1, -1])], 2);
      return x;
    });
  }

  /**
   * Keypoints of one crop from its heatmaps (`[H, W, J]` row-major, channels last): `[x, y, maxval] x J` in image
   * pixels for the crop of `center` / `scale` (`keypoints_from_heatmaps`, `post_process` as configured). A joint
   * whose maximum is <= 0 gets (-1, -1) on the heatmap before the transform, as the reference.
   */
  decode(heatmaps: ArrayLike<number>, center: Point2, scale: Point2): Float32Array {
    const [W, H] = this.heatmapSize;
    const J = this.numJoints;
    if (heatmaps.length !== W * H * J) throw new Error(`MSRA heatmap codec: ${heatmaps.length} heatmap values, expected ${H}x${W}x${J}`);
    const at = (x: number, y: number, j: number) => heatmaps[(y * W + x) * J + j]!;
    const out = new Float32Array(J * 3);
    const sx = (scale[0] * PIXEL_STD) / W;
    const sy = (scale[1] * PIXEL_STD) / H;
    for (let j = 0; j < J; j++) {
      let best = 0;
      let maxval = -Infinity;
      for (let p = 0; p < W * H; p++) {
        const v = heatmaps[p * J + j]!;
        if (v > maxval) {
          maxval = v;
          best = p;
        }
      }
      let px = maxval > 0 ? best % W : -1;
      let py = maxval > 0 ? Math.floor(best / W) : -1;
      const ix = px;
      const iy = py;
      if (this.postProcess === 'default' && ix > 1 && ix < W - 1 && iy > 1 && iy < H - 1) {
        px += Math.sign(at(ix + 1, iy, j) - at(ix - 1, iy, j)) * 0.25;
        py += Math.sign(at(ix, iy + 1, j) - at(ix, iy - 1, j)) * 0.25;
      }
      out[j * 3] = px * sx + center[0] - scale[0] * PIXEL_STD * 0.5;
      out[j * 3 + 1] = py * sy + center[1] - scale[1] * PIXEL_STD * 0.5;
      out[j * 3 + 2] = maxval;
    }
    return out;
  }
}
