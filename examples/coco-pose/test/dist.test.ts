/**
 * Data-parallel training of the tiny HigherHRNet under `mpirun -n 2 tsx train.ts …` (the seeds' launch),
 * and `--dist 2` (this script's own process launcher), with synchronized BatchNorm, against one process at
 * the doubled batch: rank 0's epoch checkpoint (written once) against the single run's.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochCheckpointIn, maxModelDiff, MPI_ENV, mpiAvailable, runCaptured } from '../../../test-utils/mpi.js';
import { loadPoseConfig } from '../src/config.js';
import { generateSyntheticDataset } from '../src/data.js';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => runCaptured(cmd, args, { cwd: exampleDir, env });

describe.skipIf(!mpiAvailable)('coco-pose: mpirun -n 2', () => {
  let dir: string;
  /** The shipped tiny config (its backend: native where built) with 4 generated train images, `perGpu` images per rank and step, SGD. */
  const config = async (perGpu: number) => {
    const text = (await readFile(join(exampleDir, 'configs', 'tiny-cpu.yaml'), 'utf8'))
      .replace(/^ {4}TRAIN_IMAGES: \d+$/m, '    TRAIN_IMAGES: 4')
      .replace(/^ {4}VAL_IMAGES: \d+$/m, '    VAL_IMAGES: 2')
      .replace(/^ {2}IMAGES_PER_GPU: \d+$/m, `  IMAGES_PER_GPU: ${perGpu}`)
      // SGD, not the recipe's Adam: Adam's first steps move every weight by about ±LR whatever the size of its
      // gradient, so float noise in a near-zero gradient flips a step (measured: 4.0e-3 = 2 updates x 2 x LR)
      .replace(/^ {2}OPTIMIZER: adam$/m, '  OPTIMIZER: sgd');
    const file = join(dir, `tiny-${perGpu}.yaml`);
    await writeFile(file, text);
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-dist-'));
    await generateSyntheticDataset(await loadPoseConfig(await config(2)), join(dir, 'data'), { splits: ['train'] });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('2 ranks x 1 image (mpirun -n 2, then --dist 2) train what one process trains with 2 images per step (sync BN)', async () => {
    const flags = ['--import', 'tsx', 'train.ts', '--max_epochs', '1', '--datadir', join(dir, 'data')];
    const single = await run(process.execPath, [...flags, '--cfg', await config(2), '--ckpt_save_dir', join(dir, 'single')]);
    expect(single.code, single.out).toBe(0);
    const ranks = await run('mpirun', ['-n', '2', process.execPath, ...flags, '--cfg', await config(1), '--sync_bn', '--ckpt_save_dir', join(dir, 'mpi')], MPI_ENV);
    expect(ranks.code, ranks.out).toBe(0);
    expect(ranks.out.match(/^done in /gm)).toHaveLength(1); // only rank 0 reports
    const want = await loadCheckpoint(await epochCheckpointIn(join(dir, 'single')));
    const got = await loadCheckpoint(await epochCheckpointIn(join(dir, 'mpi')));
    expect(got.meta.worldSize).toBe(2);
    expect(got.meta.globalStep).toBe(want.meta.globalStep);
    const d = maxModelDiff(got.tensors, want.tensors);
    console.log(`coco-pose mpirun -n 2: largest difference to one process ${d.abs.toExponential(2)} (${d.rel.toExponential(2)} of max(1, the tensor's range)) in ${d.where}`);
    // measured 7.1e-7 in the stem conv (native backend): BatchNorm sums over the global batch taken in another order
    expect(d.rel).toBeLessThan(1e-5);

    const local = await run(process.execPath, [...flags, '--cfg', await config(1), '--sync_bn', '--dist', '2', '--ckpt_save_dir', join(dir, 'proc')]);
    expect(local.code, local.out).toBe(0);
    expect(local.out).toContain('[dist] 2 data-parallel processes');
    const viaProcesses = await loadCheckpoint(await epochCheckpointIn(join(dir, 'proc')));
    expect(maxModelDiff(viaProcesses.tensors, got.tensors).rel).toBeLessThan(1e-6); // the same 2 ranks, another launcher
  }, 900_000);
});
