/**
 * `--dist 2 --sync_bn` through @hrnet/train's joinDataParallel: the ranks are replicas (identical weights at step 0
 * and after training), and together they train the model one process trains with the same global batch.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportPytorchStateDict, writeSafetensors } from '@hrnet/core';
import { generateImageFolderDataset } from '@hrnet/data-imagenet';
import { launchDataParallel, loadConfig } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationConfigSchema, type ClassificationConfig } from '../src/config.js';
import { buildModel } from '../src/build.js';
import type { DistWorkerData } from '../src/dist-worker.js';
import { trainClassifier, type TrainClassifierResult } from '../src/train-classifier.js';

const demoConfig = join(dirname(fileURLToPath(import.meta.url)), '..', 'configs', 'demo-tiny.yaml');
type RankResult = Omit<TrainClassifierResult, 'fit'> & { history: TrainClassifierResult['fit']['history'] };

describe('imagenet-cls --dist', () => {
  let data: string;
  let cfg: ClassificationConfig;
  let init: string;
  beforeAll(async () => {
    data = await mkdtemp(join(tmpdir(), 'hrnet-imagenet-dist-'));
    await generateImageFolderDataset(data, { classes: 2, trainPerClass: 4, valPerClass: 4, size: 36, seed: 1 });
    const base = await loadConfig(demoConfig, classificationConfigSchema);
    cfg = { ...base, backend: 'cpu', batch_size: 4, data: { ...base.data, image_size: 32, scale_size: 36, workers: 0, synthetic: undefined } };
    // One set of initial weights for both runs: heads' classifier Dense layer draws an unseeded init.
    const model = buildModel(cfg, 2);
    init = join(data, 'init.safetensors');
    await writeFile(init, writeSafetensors(exportPytorchStateDict(model)));
    model.dispose();
  });
  afterAll(() => rm(data, { recursive: true, force: true }));

  it('2 ranks with synchronized BatchNorm: identical weights at step 0 and after a step, and the single-process figures', async () => {
    const single = await trainClassifier(cfg, { datadir: data, ckptPath: init, maxEpochs: 1, maxSteps: 1, progress: 'none', log: () => undefined });
    const workerData: DistWorkerData = { cfg, opts: { datadir: data, ckptPath: init, maxEpochs: 1, maxSteps: 1, syncBn: true } };
    const [r0, r1] = await launchDataParallel<RankResult>({ worldSize: 2, module: new URL('../src/dist-worker.ts', import.meta.url), data: workerData });
    // replicas
    expect(r0.weightsDigests!.start).toMatch(/^[0-9a-f]{64}$/);
    expect(r1.weightsDigests).toEqual(r0.weightsDigests);
    expect(r0.weightsDigests!.end).not.toBe(r0.weightsDigests!.start);
    // one process with the global batch of 4 takes the same step: its loss (before any update) to 1e-5 relative
    // (measured 4e-6: BatchNorm sums taken in another order), and rank 0's evaluation after it to 1e-3 (measured
    // 8e-5: the step amplifies that noise on this 2-image-per-rank model)
    expect([single.fit.steps, r0.history[0].steps, r1.history[0].steps]).toEqual([1, 1, 1]);
    const want = single.fit.history[0];
    const got = r0.history[0];
    expect(Math.abs(got.avgLoss - want.avgLoss)).toBeLessThanOrEqual(1e-5 * Math.abs(want.avgLoss));
    expect(Math.abs(got.val!.loss - want.val!.loss)).toBeLessThanOrEqual(1e-3 * Math.abs(want.val!.loss));
    expect(r0.top1).toBe(single.top1);
    expect(Number.isNaN(r1.top1)).toBe(true); // only rank 0 evaluates
  }, 300_000);
});
