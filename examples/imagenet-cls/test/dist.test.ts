/**
 * Data-parallel training of the tiny classifier as separate processes, started the way the seeds start it
 * (`mpirun -n 2 tsx train.ts …`) and by `--dist 2` (this script's own process launcher), with synchronized
 * BatchNorm, against one process at the doubled batch. Every run writes one epoch checkpoint (rank 0 only).
 *
 * One optimizer step is compared: on these generated images the network amplifies float rounding (conv1's
 * BatchNorm normalises near-flat maps, so its first gradients are as large as its weights). Measured in one
 * process from weights perturbed by 2e-7 (relative): conv1 moves 6e-4 after two steps at 64 px, and 2e-4
 * after one step at 32 px. One step at 64 px shows what data parallelism changes: 1.4e-7 (weights) and 1.2e-6
 * (running variances) with sync BN's per-rank mean + squared deviations; 1.1e-4 with the sum /
 * sum-of-squares statistics it replaced.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportPytorchStateDict, writeSafetensors } from '@hrnet/core';
import { generateImageFolderDataset } from '@hrnet/data-imagenet';
import { loadCheckpoint, loadConfig, type LoadedCheckpoint } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochCheckpointIn, maxModelDiff, MPI_ENV, mpiAvailable, runCaptured } from '../../../test-utils/mpi.js';
import { buildModel } from '../src/build.js';
import { classificationConfigSchema, type ClassificationConfig } from '../src/config.js';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const demoConfig = join(exampleDir, 'configs', 'demo-tiny.yaml');
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => runCaptured(cmd, args, { cwd: exampleDir, env });
const lastCheckpoint = async (dir: string): Promise<LoadedCheckpoint> => loadCheckpoint(await epochCheckpointIn(dir));
function maxWeightDiff(a: LoadedCheckpoint, b: LoadedCheckpoint): number {
  const d = maxModelDiff(a.tensors, b.tensors);
  console.log(`imagenet-cls ${a.path}: largest difference to ${b.path}'s ${d.abs.toExponential(2)} (${d.rel.toExponential(2)} of max(1, the tensor's range)) in ${d.where}`);
  return d.rel;
}

describe('imagenet-cls data-parallel processes', () => {
  let dir: string;
  let cfgFile: string;
  let init: string;
  let single: LoadedCheckpoint;
  let viaProcesses: LoadedCheckpoint;
  const flags = () => ['--cfg', cfgFile, '--datadir', join(dir, 'data'), '--max_epochs', '1', '--ckpt_path', init, '--sync_bn'];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-imagenet-dist-'));
    await generateImageFolderDataset(join(dir, 'data'), { classes: 2, trainPerClass: 2, valPerClass: 2, size: 68, seed: 1 });
    const base = await loadConfig(demoConfig, classificationConfigSchema);
    // No random augmentation (64-px crops of 64-px images, no flip).
    const cfg: ClassificationConfig = { ...base, backend: 'cpu', batch_size: 4, data: { ...base.data, image_size: 64, scale_size: 64, hflip: 0, train_crop: 'random', workers: 0, synthetic: undefined } };
    cfgFile = join(dir, 'cfg.yaml');
    await writeFile(cfgFile, JSON.stringify(cfg)); // JSON is YAML
    // One set of initial weights for every run: heads' classifier Dense layer draws an unseeded init.
    const model = buildModel(cfg, 2);
    init = join(dir, 'init.safetensors');
    await writeFile(init, writeSafetensors(exportPytorchStateDict(model)));
    model.dispose();
  }, 300_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('one process, 4 images per step (the reference)', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'train.ts', ...flags().filter((f) => f !== '--sync_bn'), '--ckpt_save_dir', join(dir, 'single')]);
    expect(r.code, r.out).toBe(0);
    single = await lastCheckpoint(join(dir, 'single'));
    expect([single.meta.worldSize, single.meta.globalStep]).toEqual([1, 1]); // 4 images, batch 4
  }, 300_000);

  it('--dist 2 --sync_bn: 2 processes x 2 images train what one process trains; rank 0 alone reports; resuming in one process is refused clearly', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'train.ts', ...flags(), '--dist', '2', '--ckpt_save_dir', join(dir, 'proc')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('[dist] 2 data-parallel processes');
    expect(r.out).toContain('2 data-parallel workers x 2 images per step');
    expect(r.out).toMatch(/\[dist\] synchronized BatchNorm in [1-9]\d* layers/);
    expect(r.out.match(/epoch: \[1\/1\]/g)).toHaveLength(1);
    expect(r.out.match(/^done in [\d.]+ s on \w+: val top-1/gm)).toHaveLength(1);
    viaProcesses = await lastCheckpoint(join(dir, 'proc'));
    expect([viaProcesses.meta.worldSize, viaProcesses.meta.globalStep]).toEqual([2, single.meta.globalStep]);
    // measured 1.2e-6 (a BatchNorm running variance; weights 1.4e-7): statistics summed over ranks in another order
    expect(maxWeightDiff(viaProcesses, single)).toBeLessThan(1e-5);
    const resumed = await run(process.execPath, ['--import', 'tsx', 'train.ts', '--cfg', cfgFile, '--datadir', join(dir, 'data'), '--max_epochs', '2', '--resume', viaProcesses.path]);
    expect(resumed.code).toBe(1);
    expect(resumed.out).toMatch(/checkpoint error: checkpoint '.*' was written by a run of 2 rank\(s\) and this run has 1: resume with the same world size \(--dist 2 or mpirun -n 2\)/);
  }, 300_000);

  it('--dist 2 with fewer training images than one global batch: the rank says so in one line naming the data set, the launcher exits 1', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'train.ts', ...flags(), '--dist', '2', '--batch_size', '16']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`config error: ${join(dir, 'data')}: 4 training images cannot fill one step of batch_size 16 across 2 data-parallel rank(s)`);
    expect(r.out).not.toMatch(/^\s+at /m);
  }, 300_000);

  it.skipIf(!mpiAvailable)('mpirun -n 2 tsx train.ts trains what --dist 2 trains; rank 0 alone reports and writes the checkpoint', async () => {
    const r = await run('mpirun', ['-n', '2', process.execPath, '--import', 'tsx', 'train.ts', ...flags(), '--ckpt_save_dir', join(dir, 'mpi')], MPI_ENV);
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/^done in /gm)).toHaveLength(1);
    const viaMpi = await lastCheckpoint(join(dir, 'mpi'));
    expect(viaMpi.meta.worldSize).toBe(2);
    expect(maxWeightDiff(viaMpi, viaProcesses)).toBeLessThan(1e-6); // the same 2 ranks, another launcher
  }, 300_000);
});
