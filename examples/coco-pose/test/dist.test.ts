/**
 * `--dist 2` ranks are replicas: the same weights bit for bit after the broadcast (step 0) and after a step,
 * through @hrnet/train's joinDataParallel, on the shipped tiny config.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchDataParallel } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPoseConfig, type PoseConfig } from '../src/config.js';
import { generateSyntheticDataset } from '../src/data.js';
import type { DistWorkerData, DistWorkerResult } from '../src/dist-worker.js';

const tinyConfig = join(dirname(fileURLToPath(import.meta.url)), '..', 'configs', 'tiny-cpu.yaml');

describe('coco-pose --dist', () => {
  let root: string;
  let cfg: PoseConfig;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-dist-'));
    const tiny = await loadPoseConfig(tinyConfig);
    cfg = { ...tiny, WORKERS: 0, DATASET: { ...tiny.DATASET, SYNTHETIC: { ...tiny.DATASET.SYNTHETIC, TRAIN_IMAGES: 16 } } };
    await generateSyntheticDataset(cfg, root, { splits: ['train'] });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('2 ranks with synchronized BatchNorm hold identical weights at step 0 and after one step', async () => {
    // Synchronized BatchNorm: without it each rank's running statistics are its own (only rank 0's are saved),
    // as with PyTorch DDP's broadcast_buffers=False, and the digests of all weights would differ after a step.
    const data: DistWorkerData = { cfg, opts: { datadir: root, maxEpochs: 1, maxSteps: 1, threads: 1, syncBn: true } };
    const [r0, r1] = await launchDataParallel<DistWorkerResult>({ worldSize: 2, module: new URL('../src/dist-worker.ts', import.meta.url), data });
    expect([r0.steps, r1.steps]).toEqual([1, 1]);
    expect(r0.weightsDigests!.start).toMatch(/^[0-9a-f]{64}$/);
    expect(r1.weightsDigests!.start).toBe(r0.weightsDigests!.start);
    expect(r1.weightsDigests!.end).toBe(r0.weightsDigests!.end);
    expect(r0.weightsDigests!.end).not.toBe(r0.weightsDigests!.start); // the step changed them
    expect(Number.isFinite(r0.finalLoss)).toBe(true);
  }, 300_000);
});
