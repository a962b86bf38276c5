import type { KeypointEncoder, KeypointEncoderRef, KeypointSample, EncodedTargets } from '@hrnet/core';
import { decodePoses, type DecodedPoses, type DecodeOptions, type PoseDecodeMeta, type PoseOutputMap } from './decode-poses.js';
import { higherHrnetPreset } from './higher-hrnet-presets.js';
import { createHigherHrnetEncoder, encodeHigherHrnetTargets, type HigherHrnetTargetConfig } from './target-encoder.js';

// The encoder's own module, for worker threads: next to this file in the sources, its own tsup entry in dist/.
const ENCODER_MODULE = import.meta.url.endsWith('.ts') ? new URL('./target-encoder.ts', import.meta.url).href : new URL('./target-encoder.js', import.meta.url).href;

/**
 * HigherHRNet's associative-embedding codec in one place (as MMPose's `AssociativeEmbedding`): `encode` turns an
 * augmented sample into the training targets (heatmaps, loss masks, joint indices per output), `decode` turns
 * network outputs into poses (multi-stage aggregation, flip, tag grouping, refinement, image coordinates).
 * `encoderRef` is the same encoder as plain data, for data pipelines that encode in worker threads.
 */
export class HigherHrnetCodec implements KeypointEncoder {
  readonly targets: Readonly<HigherHrnetTargetConfig>;

  constructor(targets: HigherHrnetTargetConfig) {
    for (const s of targets.outputSizes) if (!Number.isInteger(s) || s <= 0) throw new Error(`HigherHRNet codec: output sizes must be positive integers, got ${s}`);
    this.targets = structuredClone(targets);
  }

  /** The codec of a preset (`higherhrnet_w32_512`, …), with DATASET overrides. */
  static fromPreset(name: string, overrides: Partial<HigherHrnetTargetConfig> = {}): HigherHrnetCodec {
    return new HigherHrnetCodec({ ...higherHrnetPreset(name).targets, ...overrides });
  }

  get targetSizes(): readonly number[] {
    return this.targets.outputSizes;
  }

  encode(sample: KeypointSample): EncodedTargets {
    return encodeHigherHrnetTargets(sample, this.targets);
  }

  get encoderRef(): KeypointEncoderRef {
    return { module: ENCODER_MODULE, exportName: createHigherHrnetEncoder.name, options: structuredClone(this.targets) };
  }

  /** Poses of one image from its outputs (lowest resolution first) and, for the flip test, the mirrored pass's. */
  decode(outputs: readonly PoseOutputMap[], flippedOutputs: readonly PoseOutputMap[] | undefined, meta: PoseDecodeMeta, opts: DecodeOptions = {}): Promise<DecodedPoses> {
    return decodePoses(outputs, flippedOutputs, meta, opts);
  }
}
