/**
 * HigherHRNet's training-target encoder (the `encode` half of {@link HigherHrnetCodec}): for every output size,
 * the joint heatmaps (`HeatmapGenerator` / `ScaleAwareHeatmapGenerator`), the loss mask and the joint indices of
 * the associative-embedding loss (`JointsGenerator`). Loaded by the data pipeline's worker threads through a
 * {@link KeypointEncoderRef}, so it imports nothing but plain-array code.
 */
import type { EncodedTargets, KeypointEncoder, KeypointSample } from '@hrnet/core';
import { generateHeatmaps, generateScaleAwareHeatmaps, scaleAwareSigma } from './heatmap-target.js';
import { generateJointIndices } from './joints-target.js';

/** The DATASET / MODEL keys of an official config the targets depend on. */
export interface HigherHrnetTargetConfig {
  /** MODEL.NUM_JOINTS. */
  numJoints: number;
  /** DATASET.OUTPUT_SIZE: side of each output's target maps (e.g. [128, 256]). */
  outputSizes: readonly number[];
  /** DATASET.SIGMA (output pixels, every size). */
  sigma: number;
  /** DATASET.MAX_NUM_PEOPLE: rows of the joint-index target. */
  maxPeople: number;
  /** MODEL.TAG_PER_JOINT. */
  tagPerJoint: boolean;
  /** DATASET.SCALE_AWARE_SIGMA with BASE_SIZE / BASE_SIGMA / INT_SIGMA. */
  scaleAwareSigma: boolean;
  baseSize: number;
  baseSigma: number;
  intSigma: boolean;
  /** Heatmap layout per sample: 'HWJ' (channels last, as the model's outputs; default) or the reference's 'JHW'. */
  heatmapLayout?: 'HWJ' | 'JHW';
}

/** Targets of one sample: `heatmaps` [r, r, J] (or [J, r, r]), `masks` [r, r] float 0/1, `joints` [P, J, 2] int32 per output. */
export function encodeHigherHrnetTargets(sample: KeypointSample, cfg: HigherHrnetTargetConfig): EncodedTargets {
  const J = cfg.numJoints;
  if (sample.numJoints !== J) throw new Error(`HigherHRNet targets: the sample has ${sample.numJoints} joints, the config ${J}`);
  if (sample.maps.length !== cfg.outputSizes.length || sample.maps.some((m, k) => m.size !== cfg.outputSizes[k])) {
    throw new Error(`HigherHRNet targets: the sample has maps of ${sample.maps.map((m) => m.size).join('/')} px, the config ${cfg.outputSizes.join('/')}`);
  }
  let sigmas: Float64Array | undefined;
  if (cfg.scaleAwareSigma) {
    if (sample.boxes.length !== sample.people) throw new Error('scaleAwareSigma needs one bbox per person');
    sigmas = Float64Array.from(sample.boxes, (box) => scaleAwareSigma(box, sample.augScale, cfg));
  }
  const out: EncodedTargets = { heatmaps: [], masks: [], joints: [] };
  for (const { size: r, mask, joints } of sample.maps) {
    const jhw = sigmas ? generateScaleAwareHeatmaps(joints, sigmas, sample.people, J, r) : generateHeatmaps(joints, sample.people, J, r, cfg.sigma);
    out.heatmaps.push(cfg.heatmapLayout === 'JHW' ? { data: jhw, shape: [J, r, r] } : { data: jhwToHwj(jhw, J, r * r), shape: [r, r, J] });
    out.masks.push({ data: Float32Array.from(mask), shape: [r, r] });
    out.joints.push({ data: generateJointIndices(joints, sample.people, J, r, cfg.maxPeople, cfg.tagPerJoint), shape: [cfg.maxPeople, J, 2] });
  }
  return out;
}

function jhwToHwj(src: Float32Array, J: number, pixels: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let j = 0; j < J; j++) for (let p = 0; p < pixels; p++) dst[p * J + j] = src[j * pixels + p];
  return dst;
}

/** The encoder a worker thread builds from the plain-data config (the `exportName` of the codec's encoder ref). */
export function createHigherHrnetEncoder(cfg: HigherHrnetTargetConfig): KeypointEncoder {
  return { targetSizes: [...cfg.outputSizes], encode: (sample) => encodeHigherHrnetTargets(sample, cfg) };
}
