/**
 * Seed 000's recipe at its own batch: the shipped w32_512_adam_lr1e-3.yaml (HigherHRNet-W32, 512 input,
 * TRAIN.IMAGES_PER_GPU 12) trains one optimizer step on this machine through gradient accumulation, the
 * micro-batch found by running out of the wasm heap and halving. Minutes on two cores, so it runs only with
 * HRNET_SLOW_TESTS=1 (CI covers the out-of-memory → halve path on a forced small heap in @hrnet/train's
 * micro-batch-auto.test.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainerEvent } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPoseConfig, type PoseConfig } from '../src/config.js';
import { trainPose } from '../src/train-pose.js';

const recipeConfig = join(dirname(fileURLToPath(import.meta.url)), '..', 'configs', 'w32_512_adam_lr1e-3.yaml');

describe.runIf(process.env.HRNET_SLOW_TESTS === '1')('W32-512 recipe at its batch of 12 (HRNET_SLOW_TESTS=1)', () => {
  let dir: string;
  const cacheDirBefore = process.env.HRNET_CACHE_DIR;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-recipe-batch-'));
    process.env.HRNET_CACHE_DIR = join(dir, 'cache');
  });
  afterAll(async () => {
    if (cacheDirBefore == null) delete process.env.HRNET_CACHE_DIR;
    else process.env.HRNET_CACHE_DIR = cacheDirBefore;
    await rm(dir, { recursive: true, force: true });
  });

  it('trains one optimizer step of 12 images as accumulated micro-batches that fit the heap', { timeout: 3_600_000 }, async () => {
    const recipe = await loadPoseConfig(recipeConfig);
    expect(recipe.TRAIN.IMAGES_PER_GPU).toBe(12);
    // Only where the data comes from and where nothing is written differ from the shipped file.
    const cfg: PoseConfig = {
      ...recipe,
      BACKEND: 'auto', // native (oneDNN) where built, else wasm: both train inside the 4 GB wasm heap
      WORKERS: 0,
      LOG_DIR: '',
      AUTO_RESUME: false,
      DATASET: { ...recipe.DATASET, SYNTHETIC: { ...recipe.DATASET.SYNTHETIC, TRAIN_IMAGES: 12, VAL_IMAGES: 1, IMAGE_SIZE: 160 } },
    };
    const events: TrainerEvent[] = [];
    const t0 = performance.now();
    const result = await trainPose(cfg, { syntheticDir: join(dir, 'coco'), maxSteps: 1, progress: 'none', log: () => {}, onLog: (e) => events.push(e) });
    const seconds = (performance.now() - t0) / 1000;
    const micro = events.find((e) => e.type === 'microBatch');
    const step = events.find((e) => e.type === 'step');
    console.log(`[recipe-batch] ${result.backend}: 1 step of 12 images in ${seconds.toFixed(0)} s; micro-batch ${JSON.stringify(micro)}`);
    expect(result.fit.steps).toBe(1);
    expect(micro).toMatchObject({ batch: 12, source: 'search' });
    expect(step && step.type === 'step' && Number.isFinite(step.loss)).toBe(true);
    if (micro?.type === 'microBatch' && micro.size < 12) {
      const cache = JSON.parse(await readFile(join(dir, 'cache', 'micro-batch.json'), 'utf8')) as Record<string, { fits: number }>;
      expect(Object.values(cache).map((r) => r.fits)).toEqual([micro.size]);
    }
  });
});
