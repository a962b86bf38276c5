/**
 * The contract between a keypoint data pipeline (@hrnet/data-coco: decoding, masks, augmentation, batching)
 * and a model family's target encoder (@hrnet/heads): types only, in core because both depend on it and
 * neither may depend on the other. The pipeline hands the encoder one augmented sample; the encoder returns
 * named target arrays; the pipeline stacks them into batches.
 */

/** One augmented sample: the network input, and masks and joints at every size the encoder asked for. */
export interface KeypointSample {
  /** Normalised network input, HWC float32 `inputSize x inputSize x 3`. */
  image: Float32Array;
  inputSize: number;
  numJoints: number;
  /** People kept for targets. */
  people: number;
  /** One entry per `targetSizes` entry of the encoder, in that order. */
  maps: {
    size: number;
    /** `size x size` 0/1, 1 = counted by the loss (0 = ignored region or outside the image). */
    mask: Uint8Array;
    /** `people * numJoints * 3` `[x, y, v]` in this map's pixels (flipped with the sample). */
    joints: Float64Array;
  }[];
  /** Per-person bbox `[x, y, w, h]` in source pixels (scale-aware encoders read it). */
  boxes: readonly ArrayLike<number>[];
  /** The drawn augmentation scale factor. */
  augScale: number;
}

/** One target of one sample (or, stacked, of a batch: the shape then starts with the batch size). */
export interface TargetArray {
  data: Float32Array | Int32Array;
  shape: number[];
}

/** Named targets, one array per output (e.g. `{ heatmaps: [1/4, 1/2], masks: [...], joints: [...] }`). */
export type EncodedTargets = Record<string, TargetArray[]>;

/** A family's training-target encoder (the `encode` half of its codec). */
export interface KeypointEncoder {
  /** Sides of the square maps the encoder needs masks and joints at. */
  readonly targetSizes: readonly number[];
  encode(sample: KeypointSample): EncodedTargets;
}

/**
 * Where a worker thread loads an encoder from, as plain (structured-cloneable) data:
 * `(await import(module))[exportName](options)` returns the {@link KeypointEncoder}.
 */
export interface KeypointEncoderRef {
  /** An import specifier or a file URL (`.ts` sources load through tsx where it is installed). */
  module: string;
  exportName: string;
  options: unknown;
}

/** A batch of encoded samples: NHWC images and each target stacked along a leading batch axis. */
export interface EncodedBatch {
  size: number;
  images: Float32Array;
  imageShape: [number, number, number, number];
  targets: EncodedTargets;
}

/**
 * One top-down training sample: a person crop warped to the network input (`inputSize = [width, height]`, as
 * MMPose's `image_size`) and that person's joints in input pixels.
 */
export interface TopDownSample {
  /** Normalised crop, HWC float32 `height x width x 3`. */
  image: Float32Array;
  inputSize: readonly [number, number];
  numJoints: number;
  /** `numJoints * 3` `[x, y, visible]` in input pixels; visible is 0 or 1 (`min(1, v)` of the COCO flag). */
  joints: Float64Array;
}

/** A top-down family's target encoder (the `encode` half of its heatmap codec). */
export interface TopDownTargetEncoder {
  /** `[width, height]` of the network input the encoder's targets are made for. */
  readonly inputSize: readonly [number, number];
  encode(sample: TopDownSample): EncodedTargets;
}
