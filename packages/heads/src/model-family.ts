import type * as tf from '@tensorflow/tfjs';

/**
 * How images are prepared for a preset, as data (timm's pretrained cfg): inference and training read it
 * from here instead of repeating the numbers.
 */
export interface Preprocessing {
  /** [height, width] of the network input the preset was trained at. */
  inputSize: readonly [number, number];
  /** Per-channel normalisation of RGB values scaled to 0..1. */
  mean: readonly number[];
  std: readonly number[];
  /** Resampling of the resize / warp. */
  interpolation: 'bilinear' | 'bicubic';
  /** Centre-crop fraction at evaluation (timm `crop_pct`); absent where the task does not crop. */
  cropPct?: number;
  /** Left/right permutation of the keypoints (flip test and flip augmentation); keypoint families only. */
  flipIndex?: readonly number[];
}

/** What `modelInfo(name)` says about a preset. */
export interface ModelInfo {
  name: string;
  /** The family folder that builds it (`classification`, `higher-hrnet`, …). */
  family: string;
  preprocessing: Preprocessing;
  /** The published weights this preprocessing belongs to (`<preset>.<tag>`; a bare preset name means its default tag, as in timm). */
  pretrained?: string;
}

/** Options every family accepts; families add their own (validated by the family). */
export interface ModelOptions {
  /** [H, W, C]; H and W may be null for any size. Default [null, null, 3]. */
  inputShape?: [number | null, number | null, number];
  /** Draws the family's official weight initialisation from this seed (identical starts); without it the layers' own initialisers run. */
  seed?: number;
}

/** Weights a family publishes on a hub for one preset and tag. */
export interface PretrainedWeights {
  /** `<preset>.<tag>`, for messages. */
  id: string;
  /** Where this tag's pretrained cfg differs from the preset's preprocessing (timm: `hrnet_w18.ms_aug_in1k` crops 0.95). */
  preprocessing?: Partial<Preprocessing>;
  /** Hub repository (`timm/hrnet_w18_small.ms_in1k`) and the file in it: `<hub>/<repo>/resolve/main/<file>`. */
  repo: string;
  file: string;
  /** Loads the downloaded file into a model of the preset (converting names and layouts). */
  load(model: tf.LayersModel, file: string): Promise<void>;
}

/**
 * One model family (one folder of @hrnet/heads): its presets and its factory. Adding a family = a folder with
 * a `family.ts` exporting one of these, listed in `model-registry.ts` (or passed to `registerFamily`).
 */
export interface ModelFamily<Config = unknown, Options extends ModelOptions = ModelOptions> {
  readonly name: string;
  /** Preset names, sorted. */
  presets(): string[];
  /** Preprocessing of a preset; throws for unknown names. */
  info(preset: string): ModelInfo;
  /** The network from a preset name or a family config. */
  create(nameOrConfig: string | Config, opts?: Options): tf.LayersModel;
  /** Published weights of a preset (`tag` true: the default); absent where the family's weights are on no hub. */
  pretrained?(preset: string, tag: string | true): PretrainedWeights;
  /** Where weights that are on no hub come from, for the error `pretrained` gives otherwise. */
  manualWeights?: string;
}
