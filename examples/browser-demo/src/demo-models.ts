/**
 * The page's defaults, shared by the build (which generates the models) and the page (which runs them): two
 * tiny models with seeded official initialisations, so the demo needs no download. A real model directory
 * (`hrnet convert` output, `saveModelToDir`) takes their place through the page's `?pose=` / `?classifier=`.
 */
import type { HrnetConfigInput } from '@hrnet/core';
import { higherHrnetPreset } from '@hrnet/heads';

/** A one-block-per-stage timm cfg with stage-4 branch widths 8..64. */
const TINY_STAGE = (w: number[]) => ({ num_modules: 1, num_branches: w.length, block_type: 'BASIC' as const, num_blocks: w.map(() => 1), num_channels: w, fuse_method: 'SUM' as const });
export const TINY_CLASSIFIER_CFG: HrnetConfigInput = {
  stem_width: 16,
  stage1: { num_modules: 1, num_branches: 1, block_type: 'BOTTLENECK', num_blocks: [1], num_channels: [8], fuse_method: 'SUM' },
  stage2: TINY_STAGE([8, 16]),
  stage3: TINY_STAGE([8, 16, 32]),
  stage4: TINY_STAGE([8, 16, 32, 64]),
};

/** Its head, shrunk as the backbone (timm's defaults are 32..256 channels and 2048 features). */
export const TINY_CLASSIFIER_HEAD = { headChannels: [8, 16, 32, 64] as [number, number, number, number], numFeatures: 256 };

/** HigherHRNet-W32's published config with one block per stage, widths 8..64 (the network of fixtures/higherhrnet/model_tiny). */
const W32 = higherHrnetPreset('higherhrnet_w32_512').config as { MODEL: Record<string, any>; LOSS: Record<string, unknown> };
const tinyStage = (stage: Record<string, unknown>, w: number[]) => ({ ...stage, NUM_MODULES: 1, NUM_BLOCKS: w.map(() => 1), NUM_CHANNELS: w });
export const TINY_HIGHER_HRNET_CFG = {
  ...W32,
  MODEL: {
    ...W32.MODEL,
    PRETRAINED: '',
    EXTRA: {
      ...W32.MODEL.EXTRA,
      STAGE2: tinyStage(W32.MODEL.EXTRA.STAGE2, [8, 16]),
      STAGE3: tinyStage(W32.MODEL.EXTRA.STAGE3, [8, 16, 32]),
      STAGE4: tinyStage(W32.MODEL.EXTRA.STAGE4, [8, 16, 32, 64]),
      DECONV: { ...W32.MODEL.EXTRA.DECONV, NUM_CHANNELS: [8], NUM_BASIC_BLOCKS: 1 },
    },
  },
};

/** Seeds of the two generated models (the families' official initialisations drawn from them). */
export const DEMO_SEEDS = { classifier: 7, pose: 11 } as const;

/** The generated classifier's labels (its weights are untrained: the top class is arbitrary but fixed). */
export const DEMO_LABELS = ['tench', 'goldfish', 'great white shark', 'tiger shark', 'hammerhead', 'electric ray', 'stingray', 'cock', 'hen', 'ostrich'];

/** Inference settings of the page (and of the Node reference the browser test compares with). */
export const DEMO_SETTINGS = {
  /** HigherHRNet DATASET.INPUT_SIZE for the pose pass. */
  poseInputSize: 256,
  /** TEST.FLIP_TEST. */
  flipTest: true,
  /**
   * DATASET.MAX_NUM_PEOPLE and TEST.REFINE: the untrained tiny model has peaks everywhere, and with the official
   * 30 candidates per joint and refinement its grouping took 70 s of JavaScript (450 people) for one image.
   */
  maxNumPeople: 5,
  refine: false,
  /** The classifier's square input (the image is resized to it, bilinear, half-pixel centres). */
  classifierInputSize: 64,
  /** People drawn: the best-scoring ones (the untrained model's random tags group no joints: each is one joint). */
  maxPeople: 20,
  /** Classes listed. */
  topK: 5,
} as const;

/** Where the build puts the generated model directories, relative to the page. */
export const DEMO_MODEL_DIRS = { pose: 'models/higherhrnet-tiny', classifier: 'models/classifier-tiny' } as const;
/** The bundled image, relative to the page. */
export const DEMO_IMAGE = 'images/scene.png';
