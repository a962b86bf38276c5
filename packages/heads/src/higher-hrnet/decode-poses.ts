/**
 * HigherHRNet test-time decoding from network outputs to poses: multi-stage outputs (+ flip), projection
 * to the base size, aggregation over scales, heatmap parsing (grouping, adjust, refine) and the mapping
 * back to image coordinates — `tools/valid.py` after the forward passes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Point2 } from '@hrnet/core';
import { aggregateResults, emptyAggregate, finishAggregation, type AggregatedMaps } from './aggregate-results.js';
import { getFinalPreds } from '../pose-common/final-preds.js';
import { parseHeatmaps, type HeatmapParserOptions } from './heatmap-parser.js';
import { getMultiScaleSize } from './multi-scale-size.js';
import { getMultiStageOutputs, type MultiStageOptions } from './multi-stage-outputs.js';
import { planesFromNhwc, type Planes } from '../pose-common/planes.js';
import { COCO_KEYPOINT_NAMES } from '@hrnet/core';
import { peopleToPoses, type Pose } from '../pose-common/pose-types.js';

/** Where the heatmaps sit in the original image. */
export interface PoseDecodeMeta {
  /** Image centre `[x, y]` (`get_multi_scale_size`). */
  center: Point2;
  /** Box scale `[sx, sy]` of the smallest test scale (what tools/valid.py passes to get_final_preds). */
  scale: Point2;
  /** `[width, height]` of the network input at scale 1; heatmaps and tags are projected to it. */
  baseSize: Point2;
}

/** `PoseDecodeMeta` for an image of `width` x `height` tested at `scales` with input size `inputSize`. */
export function poseDecodeMeta(width: number, height: number, inputSize = 512, scales: readonly number[] = [1]): PoseDecodeMeta {
  const minScale = Math.min(...scales);
  const base = getMultiScaleSize(width, height, inputSize, 1, minScale);
  const smallest = getMultiScaleSize(width, height, inputSize, minScale, minScale);
  return { center: base.center, scale: smallest.scale, baseSize: base.size };
}

export interface DecodeOptions extends Omit<MultiStageOptions, 'projectTo'>, HeatmapParserOptions {
  /** Keypoint names (also fixes the number of joints), default COCO's 17. */
  keypointNames?: readonly string[];
}

/** One network output: an NHWC tensor `[1, H, W, C]` / `[H, W, C]`, or host planes. */
export type PoseOutputMap = tf.Tensor | Planes;

export interface ScaleOutputs {
  /** Test scale factor of this pass (1 = base size). */
  scale: number;
  /** Network outputs, lowest resolution first (`[y0 (1/4, heatmaps + tags), y1 (1/2, heatmaps)]`). */
  outputs: readonly PoseOutputMap[];
  /** Outputs for the width-mirrored input, as the network emits them (not flipped back): enables flip test. */
  flippedOutputs?: readonly PoseOutputMap[];
}

export interface DecodedPoses {
  poses: Pose[];
  /** People in image coordinates, `J x (3 + T)` rows `[x, y, value, tags..]`. */
  people: Float32Array[];
  /** People in heatmap (base-size) pixels after adjust and refine. */
  peopleInHeatmap: Float32Array[];
  scores: number[];
}

async function toPlanes(o: PoseOutputMap): Promise<Planes> {
  if (!(o instanceof tf.Tensor)) return o;
  const shape = o.shape;
  if (!(shape.length === 4 && shape[0] === 1) && shape.length !== 3) {
    throw new Error(`decodePoses: expected an NHWC output of one image, got shape [${shape.join(', ')}]`);
  }
  const [h, w, c] = shape.slice(-3) as [number, number, number];
  return planesFromNhwc(await o.data(), h, w, c);
}

/** Aggregated maps → poses (the parser and get_final_preds). */
export function decodeAggregatedMaps(maps: AggregatedMaps, meta: PoseDecodeMeta, opts: DecodeOptions = {}): DecodedPoses {
  const names = opts.keypointNames ?? COCO_KEYPOINT_NAMES;
  const { heatmaps, tags, tagDims, tagChannels } = maps;
  const shape = { numJoints: heatmaps.channels, height: heatmaps.height, width: heatmaps.width, tagDims, tagChannels };
  if (names.length !== heatmaps.channels) throw new Error(`decodePoses: ${names.length} keypoint names for ${heatmaps.channels} joints`);
  const { people, scores } = parseHeatmaps(heatmaps.data, tags, shape, opts);
  const image = getFinalPreds(people, meta.center, meta.scale, [heatmaps.width, heatmaps.height], heatmaps.channels);
  return { poses: peopleToPoses(image, scores, names), people: image, peopleInHeatmap: people, scores };
}

/** Multi-scale (and flip) decoding: the passes of every test scale → poses. */
export async function decodeMultiScalePoses(passes: readonly ScaleOutputs[], meta: PoseDecodeMeta, opts: DecodeOptions = {}): Promise<DecodedPoses> {
  if (passes.length === 0) throw new Error('decodePoses: no passes');
  const numJoints = (opts.keypointNames ?? COCO_KEYPOINT_NAMES).length;
  const flipTest = passes.every((p) => p.flippedOutputs);
  if (!flipTest && passes.some((p) => p.flippedOutputs)) throw new Error('decodePoses: either every scale or none has a mirrored pass');
  const state = emptyAggregate();
  for (const pass of [...passes].sort((a, b) => b.scale - a.scale)) {
    const outputs = await Promise.all(pass.outputs.map(toPlanes));
    const flipped = pass.flippedOutputs ? await Promise.all(pass.flippedOutputs.map(toPlanes)) : undefined;
    const { heatmaps, tags } = getMultiStageOutputs(outputs, flipped, { ...opts, numJoints, projectTo: meta.baseSize });
    aggregateResults(state, pass.scale, passes.length, heatmaps, tags, flipTest);
  }
  return decodeAggregatedMaps(finishAggregation(state, passes.length), meta, opts);
}

/**
 * Single-scale decoding of HigherHRNet outputs (NHWC, lowest resolution first) and, for the flip test,
 * of the outputs for the mirrored input. The caller keeps ownership of the tensors.
 */
export async function decodePoses(
  outputs: readonly PoseOutputMap[],
  flippedOutputs: readonly PoseOutputMap[] | undefined,
  meta: PoseDecodeMeta,
  opts: DecodeOptions = {},
): Promise<DecodedPoses> {
  return decodeMultiScalePoses([{ scale: 1, outputs, flippedOutputs }], meta, opts);
}

export interface PoseHeadDecodeOptions extends DecodeOptions {
  /** Outputs for the width-mirrored input (flip test). */
  flippedOutputs?: readonly PoseOutputMap[];
}
