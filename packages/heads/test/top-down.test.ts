/**
 * The top-down family: presets and exact parameter counts, bad input sizes, the MSRA heatmap codec (encode against
 * hand-computed Gaussians, decode with the quarter-pixel shift, flip-back with the heatmap shift), JointsMSELoss with
 * target weights, rescoring and OKS-NMS, estimateTopDownPoses end to end on a tiny network.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { COCO_FLIP_INDEX, createBackbone, type TopDownSample } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  createTopDownModel,
  estimateTopDownPoses,
  jointsMseLoss,
  listModels,
  modelInfo,
  MsraHeatmapCodec,
  oksNms,
  rescore,
  topDownPreset,
  topDownTask,
  type TopDownConfigInput,
} from '../src/index.js';

const counts = JSON.parse(readFileSync(fileURLToPath(new URL('../../../fixtures/hf-hrnet/param-counts.json', import.meta.url)), 'utf8')) as {
  models: Record<string, { backbone_plus_keypoint_head_params: number }>;
};

/** A narrow HF-HRNet top-down at 128x64 (the fixtures' tiny backbone widths). */
export const TINY_TOP_DOWN: TopDownConfigInput = {
  model: {
    backbone: {
      type: 'HF_HRNet',
      extra: {
        stem: { stem_channels: 16, out_channels: 16, expand_ratio: 1 },
        num_stages: 3,
        stages_spec: { num_modules: [1, 1, 1], num_branches: [2, 3, 4], num_blocks: [2, 2, 2], with_fuse: [true, true, true], reduce_ratios: [8, 8, 8], num_channels: [[16, 32], [16, 32, 64], [16, 32, 64, 128]] },
        with_head: true,
      },
    },
    keypoint_head: { type: 'TopdownHeatmapSimpleHead', in_channels: 16, out_channels: 17, loss_keypoint: { type: 'JointsMSELoss', use_target_weight: true } },
  },
  image_size: [64, 128],
  heatmap_size: [16, 32],
  sigma: 2,
};

const trainable = (m: tf.LayersModel) => m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const codec = new MsraHeatmapCodec({ imageSize: [192, 256], heatmapSize: [48, 64], sigma: 2 });
const sampleWith = (joints: number[]): TopDownSample => ({ image: new Float32Array(0), inputSize: [192, 256], numJoints: 17, joints: Float64Array.from(joints) });

describe('top-down presets', () => {
  it('are listed by the model registry with their preprocessing; HF-HRNet-18/30 + head have the official parameter counts', () => {
    expect(listModels('*256x192')).toEqual(expect.arrayContaining(['hf_hrnet_18_coco_256x192', 'hf_hrnet_30_coco_256x192', 'pose_hrnet_w32_256x192']));
    expect(modelInfo('hf_hrnet_18_coco_256x192')).toMatchObject({ family: 'top-down', preprocessing: { inputSize: [256, 192], flipIndex: COCO_FLIP_INDEX } });
    for (const [name, key] of [['hf_hrnet_18_coco_256x192', 'HF-HRNet-18'], ['hf_hrnet_30_coco_256x192', 'HF-HRNet-30']] as const) {
      const m = createModel(name);
      expect(trainable(m)).toBe(counts.models[key]!.backbone_plus_keypoint_head_params);
      expect(m.outputs[0]!.shape).toEqual([null, 64, 48, 17]);
      expect(m.getLayer('keypoint_head.final_layer')).toBeDefined();
      m.dispose();
    }
    const w32 = createModel('pose_hrnet_w32_256x192');
    expect(w32.outputs[0]!.shape).toEqual([null, 64, 48, 17]);
    // The HRNet-W32 backbone whose last module fuses into branch 0 only, plus the 1x1 conv (32 -> 17, bias): the
    // paper's 28.5M parameters for pose_hrnet_w32.
    const backbone = createBackbone('hrnet_w32', { multiScaleOutput: false });
    expect(trainable(w32)).toBe(trainable(backbone) + 32 * 17 + 17);
    expect(trainable(w32) / 1e6).toBeCloseTo(28.5, 1);
    backbone.dispose();
    w32.dispose();
  });

  it('an input size the backbone cannot take, or a head that does not fit it, is one clear error', () => {
    const cfg = topDownPreset('hf_hrnet_18_coco_256x192').config;
    expect(() => createModel({ family: 'top-down', config: { ...cfg, image_size: [288, 384], heatmap_size: [72, 96] } })).toThrow('HF-HRNet input size 384x288 (HxW): H and W must be multiples of 64');
    expect(() => createModel({ family: 'top-down', config: { ...cfg, heatmap_size: [96, 128] } })).toThrow(/heatmap_size: the head's output is a quarter of image_size \[192, 256\]/);
    const head = { ...cfg.model.keypoint_head, in_channels: 32 };
    expect(() => createTopDownModel({ ...cfg, model: { ...cfg.model, keypoint_head: head } })).toThrow('model.keypoint_head.in_channels is 32, the backbone gives 48 channels');
    expect(() => createTopDownModel({ ...cfg, model: { ...cfg.model, keypoint_head: { ...head, num_deconv_layers: 2 as 0 } } })).toThrow(/model\.keypoint_head\.num_deconv_layers: only num_deconv_layers=0/);
  });
});

describe('MsraHeatmapCodec', () => {
  it('encode: a sigma-2 Gaussian on the joint pixel int(x/stride + 0.5), cut at 3 sigma; weight = visibility, 0 off the map', () => {
    const joints = new Array(17 * 3).fill(0);
    joints.splice(0, 3, 41.9, 100.1, 1); // heatmap (10.475, 25.025) -> mu (10, 25)
    joints.splice(3, 3, 2, 3, 1); // mu (1, 1): the Gaussian is cut by the border
    joints.splice(6, 3, 300, 100, 1); // mu (75, 25): ul.x = 69 >= 48 -> weight 0
    joints.splice(9, 3, 50, 50, 0); // invisible
    const { heatmaps, target_weight } = codec.encode(sampleWith(joints));
    const hm = heatmaps[0]!;
    expect(hm.shape).toEqual([64, 48, 17]);
    const at = (x: number, y: number, j: number) => hm.data[(y * 48 + x) * 17 + j]!;
    expect(Array.from(target_weight[0]!.data.slice(0, 5))).toEqual([1, 1, 0, 0, 0]);
    expect(at(10, 25, 0)).toBe(1);
    expect(at(12, 26, 0)).toBeCloseTo(Math.exp(-5 / 8), 6);
    expect(at(16, 25, 0)).toBeCloseTo(Math.exp(-36 / 8), 6);
    expect(at(17, 25, 0)).toBe(0); // beyond 3 sigma
    expect(at(0, 0, 1)).toBeCloseTo(Math.exp(-2 / 8), 6);
    let other = 0;
    for (let p = 0; p < 64 * 48; p++) for (const j of [2, 3]) other += hm.data[p * 17 + j]!;
    expect(other).toBe(0);
  });

  it('decode: argmax, a quarter pixel towards the higher neighbour, back to the image through centre and scale', () => {
    const hm = new Float32Array(64 * 48 * 17);
    const set = (x: number, y: number, j: number, v: number) => (hm[(y * 48 + x) * 17 + j] = v);
    set(10, 20, 0, 1);
    set(11, 20, 0, 0.5); // right > left: +0.25 in x
    set(10, 19, 0, 0.4); // up > down: -0.25 in y
    set(1, 20, 1, 0.7); // on the border band (px = 1): no shift
    // joint 2 stays 0 everywhere: maxval 0 -> heatmap position (-1, -1)
    const center: [number, number] = [300, 200];
    const scale: [number, number] = [1.5, 2]; // 300 x 400 px crop, 6.25 px per heatmap pixel in both axes
    const kp = codec.decode(hm, center, scale);
    const toImg = (x: number, y: number) => [x * 6.25 + 300 - 150, y * 6.25 + 200 - 200];
    expect(Array.from(kp.slice(0, 3))).toEqual([...toImg(10.25, 19.75), 1]);
    expect(kp[3]).toBeCloseTo(toImg(1, 20)[0]!, 4);
    expect(kp[5]).toBeCloseTo(0.7, 6);
    expect(Array.from(kp.slice(6, 9))).toEqual([...toImg(-1, -1), 0]);
    const plain = new MsraHeatmapCodec({ imageSize: [192, 256], heatmapSize: [48, 64], sigma: 2, postProcess: null });
    expect(Array.from(plain.decode(hm, center, scale).slice(0, 2))).toEqual(toImg(10, 20));
  });

  it('encode then decode recovers a joint to within the quarter-pixel grid', () => {
    const joints = new Array(17 * 3).fill(0);
    joints.splice(0, 3, 80, 120, 1);
    const { heatmaps } = codec.encode(sampleWith(joints));
    // centre / scale of the identity crop: 192 x 256 px at (96, 128)
    const kp = codec.decode(heatmaps[0]!.data, [96, 128], [192 / 200, 256 / 200]);
    expect(Math.abs(kp[0]! - 80)).toBeLessThanOrEqual(2);
    expect(Math.abs(kp[1]! - 120)).toBeLessThanOrEqual(2);
  });

  it('flipBack: the mirrored input\'s heatmaps come back with joints swapped, then shifted one pixel right', () => {
    const J = 17;
    const x = tf.tidy(() => {
      const b = tf.buffer([1, 4, 5, J]);
      b.set(1, 0, 1, 0, 1); // flipped output: left eye (1) at column 0
      b.set(2, 0, 2, 3, 5); // left shoulder (5) at column 3
      return b.toTensor() as tf.Tensor4D;
    });
    const before = tf.memory().numTensors;
    const back = codec.flipBack(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    const v = back.arraySync() as number[][][][];
    // mirrored column c -> 4 - c, then +1: left eye -> right eye (2) at column 4 (shift drops it: column 4 gets column 3's value)
    expect(v[0]![1]![4]![2]).toBe(0);
    expect(v[0]![1]![4]![COCO_FLIP_INDEX[1]!]).toBe(0);
    // left shoulder -> right shoulder (6) at column 1, shifted to 2
    expect(v[0]![2]![2]![6]).toBe(2);
    expect(v[0]![2]![1]![6]).toBe(0);
    const noShift = new MsraHeatmapCodec({ imageSize: [192, 256], heatmapSize: [48, 64], sigma: 2, shiftHeatmap: false }).flipBack(x);
    expect((noShift.arraySync() as number[][][][])[0]![1]![4]![2]).toBe(1);
    tf.dispose([x, back, noShift]);
  });
});

describe('JointsMSELoss and the task', () => {
  it('mean over joints of the batch-and-pixel MSE, joints weighted by target_weight', () => {
    const pred = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 2, 2]);
    const target = tf.zeros([2, 1, 2, 2]);
    const w = tf.tensor2d([1, 0, 0.5, 1], [2, 2]);
    // joint 0: (1² + 3² + (0.5·5)² + (0.5·7)²) / 4 = 7.125; joint 1: (0 + 0 + 6² + 8²) / 4 = 25
    expect(jointsMseLoss(pred, target, w, { useTargetWeight: true }).dataSync()[0]).toBeCloseTo((7.125 + 25) / 2, 5);
    expect(jointsMseLoss(pred, target, w, { useTargetWeight: false, lossWeight: 2 }).dataSync()[0]).toBeCloseTo(2 * (204 / 8), 4);
    expect(() => jointsMseLoss(pred, target, undefined, { useTargetWeight: true })).toThrow('target_weight must be [N, J] = [2, 2]');
    tf.dispose([pred, target, w]);
  });

  it('topDownTask: loss from the codec targets, decode with and without the flip pass; tidy', async () => {
    const model = createTopDownModel(TINY_TOP_DOWN, { seed: 3 });
    const task = topDownTask(model, TINY_TOP_DOWN);
    const c = task.codec;
    const joints = new Array(17 * 3).fill(0);
    joints.splice(0, 3, 30, 60, 1);
    const t = c.encode({ image: new Float32Array(0), inputSize: [64, 128], numJoints: 17, joints: Float64Array.from(joints) });
    const batch = {
      size: 1,
      images: new Float32Array(128 * 64 * 3).fill(0.1),
      imageShape: [1, 128, 64, 3] as [number, number, number, number],
      targets: { heatmaps: [{ data: t.heatmaps[0]!.data, shape: [1, 32, 16, 17] }], target_weight: [{ data: t.target_weight[0]!.data, shape: [1, 17] }] },
    };
    const before = tf.memory().numTensors;
    const loss = tf.tidy(() => task.loss([model.apply(task.inputs(batch), { training: true }) as tf.Tensor], batch).total);
    expect(tf.memory().numTensors).toBe(before + 1);
    // N(0, 0.001) init: output ~0, so the loss is the target's weighted energy / (pixels x joints)
    let energy = 0;
    for (const v of t.heatmaps[0]!.data) energy += v * v;
    expect(loss.dataSync()[0]).toBeCloseTo(energy / (32 * 16) / 17, 4);
    loss.dispose();
    const x = task.inputs(batch) as tf.Tensor4D;
    const out = model.predict(x) as tf.Tensor;
    const flipped = model.predict(tf.reverse(x, 2)) as tf.Tensor;
    const [plain] = await task.decode!([out], { centers: [[32, 64]], scales: [[0.32, 0.64]] });
    const [withFlip] = await task.decode!([out], { centers: [[32, 64]], scales: [[0.32, 0.64]], flippedOutputs: [flipped] });
    expect(plain).toHaveLength(51);
    expect(withFlip).toHaveLength(51);
    tf.dispose([x, out, flipped]);
    model.dispose();
  });
});

describe('rescoring and OKS-NMS', () => {
  const person = (dx: number, score: number, area = 100 * 100) => {
    const kp = new Float32Array(17 * 3);
    for (let j = 0; j < 17; j++) kp.set([50 + j * 3 + dx, 40 + j * 5, 0.8], j * 3);
    return { keypoints: kp, area, score };
  };

  it('rescore = box score x mean of the joint scores above vis_thr', () => {
    const kp = [0, 0, 0.9, 0, 0, 0.1, 0, 0, 0.5];
    expect(rescore(kp, 0.5, 0.2)).toBeCloseTo(0.5 * 0.7, 6);
    expect(rescore([0, 0, 0.1], 1, 0.2)).toBe(0);
  });

  it('keeps the best of overlapping people (OKS > 0.9), keeps distinct ones, highest score first', () => {
    expect(oksNms([person(0, 0.5), person(0.5, 0.9), person(60, 0.7)], 0.9)).toEqual([1, 2]);
    expect(oksNms([person(0, 0.5), person(0.5, 0.9)], 1.0)).toEqual([1, 0]);
    expect(oksNms([], 0.9)).toEqual([]);
  });
});

describe('estimateTopDownPoses', () => {
  it('returns one pose per distinct box in the bottom-up result types; duplicate boxes are suppressed; bad boxes named', async () => {
    const model = createTopDownModel(TINY_TOP_DOWN, { seed: 1 });
    const image = { data: new Uint8Array(100 * 80 * 3).map((_, i) => (i * 7) % 256), width: 100, height: 80 };
    const before = tf.memory().numTensors;
    const poses = await estimateTopDownPoses(model, image, { boxes: [{ bbox: [10, 10, 30, 60], score: 0.9 }, [10, 10, 30, 60], [60, 5, 30, 70]] });
    expect(tf.memory().numTensors).toBe(before);
    expect(poses.length).toBeGreaterThanOrEqual(2);
    expect(poses.length).toBeLessThanOrEqual(3);
    for (const p of poses) {
      expect(p.keypoints).toHaveLength(17);
      expect(p.keypoints[0]).toMatchObject({ name: 'nose' });
      expect(Number.isFinite(p.score)).toBe(true);
    }
    const single = await estimateTopDownPoses(model, image, { boxes: [[10, 10, 30, 60]], flipTest: false });
    expect(single).toHaveLength(1);
    await expect(estimateTopDownPoses(model, image, { boxes: [[10, 10, 0, 60]] })).rejects.toThrow('estimateTopDownPoses: boxes[0] must be [x, y, w, h] with w, h > 0, got [10, 10, 0, 60]');
    model.dispose();
  });
});
