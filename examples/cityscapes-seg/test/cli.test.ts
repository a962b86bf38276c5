/**
 * The scripts' contract for bad input: a bad command line, config key, data folder or checkpoint is one line on
 * stderr naming it, exit code 1, no stack frames; bad samples (an image without its gtFine file, a label PNG of
 * another size, a label id outside the table) are left out and counted (DATASET.BAD_SAMPLES: skip, the default)
 * or end the run with an error naming the file (fail; the scripts print any error as that one line).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '@hrnet/core';
import { generateSyntheticCityscapes } from '@hrnet/data-cityscapes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSegConfig } from '../src/config.js';
import { trainSegmentation } from '../src/train-seg.js';

const run = promisify(execFile);
const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = (name: string) => join(exampleDir, 'configs', name);
const tiny = config('tiny-cpu.yaml');
const recipe = config('seg_hrnet_w48_train_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml');
// node --import tsx, not npx: a second less per spawn.
const cli = (script: string, args: string[]) => run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: exampleDir, maxBuffer: 16 << 20, timeout: 300_000 });

/** Runs a script that must fail; returns its stderr after checking exit 1, one line, no stack frames. */
async function oneLineFailure(script: string, args: string[]): Promise<string> {
  const err = (await cli(script, args).then(
    () => ({ code: 0, stderr: '' }),
    (e: unknown) => e,
  )) as { code?: number; stderr?: string };
  const stderr = (err.stderr ?? '').trim();
  expect(err.code, `${script} ${args.join(' ')} should exit 1; stderr: ${stderr}`).toBe(1);
  expect(stderr.split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s*at /m);
  return stderr;
}

describe('cityscapes-seg scripts on bad input', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-cityscapes-seg-cli-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the shipped configs validate and keep the official values', async () => {
    const w48 = await loadSegConfig(recipe);
    expect(w48.TRAIN).toMatchObject({ IMAGE_SIZE: [1024, 512], BASE_SIZE: 2048, BATCH_SIZE_PER_GPU: 3, END_EPOCH: 484, OPTIMIZER: 'sgd', LR: 0.01, WD: 0.0005, SCALE_FACTOR: 16, IGNORE_LABEL: 255 });
    expect(w48.MODEL.EXTRA.STAGE4.NUM_CHANNELS).toEqual([48, 96, 192, 384]);
    expect(w48.LOSS.USE_OHEM).toBe(false);
    expect((await loadSegConfig(config('seg_hrnet_w48_train_ohem_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml'))).LOSS).toMatchObject({ USE_OHEM: true, OHEMTHRES: 0.9, OHEMKEEP: 131072 });
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, (await readFile(recipe, 'utf8')).replace(/^TRAIN:\n/m, 'TRAIN:\n  LR_STEPS: [1]\n').replace('NUM_CLASSES: 19', 'NUM_CLASSES: 20'));
    const err = (await loadSegConfig(bad).catch((e: Error) => e)) as Error;
    expect(err.message).toContain("unknown key 'TRAIN.LR_STEPS'");
    expect(err.message).toContain("'DATASET.NUM_CLASSES': Cityscapes has 19 evaluated classes");
  });

  it('bad command lines, config keys, data folders and checkpoints: exit 1 and one line naming them', async () => {
    const bad = join(dir, 'bad-key.yaml');
    await writeFile(bad, (await readFile(tiny, 'utf8')).replace(/^TRAIN:\n/m, 'TRAIN:\n  LR_STEPS: [1]\n'));
    const nope = join(dir, 'nope');
    // Each spawn costs ~3 s of CPU (tsx, tfjs): one per script and kind of error.
    const [noDatadir, badKey, badDatadir, noCkpt, badScales, pretrained] = await Promise.all([
      oneLineFailure('train.ts', ['--cfg', recipe]),
      oneLineFailure('train.ts', ['--cfg', bad]),
      oneLineFailure('train.ts', ['--cfg', tiny, '--datadir', nope]),
      oneLineFailure('valid.ts', ['--ckpt', `${nope}.safetensors`]),
      oneLineFailure('predict.ts', ['--image', 'x.png', '--ckpt', `${nope}.safetensors`, '--scales', '1,x']),
      oneLineFailure('train.ts', ['--cfg', tiny, '--pretrained']),
    ]);
    expect(noDatadir).toBe(`error: --datadir <cityscapes root> is required: ${recipe} has no DATASET.SYNTHETIC section to generate data from`);
    expect(badKey).toBe(`config error: ${bad}: unknown key 'TRAIN.LR_STEPS'`);
    expect(badDatadir).toBe(`error: ${nope}/leftImg8bit/train: no such folder (expected the Cityscapes layout leftImg8bit/train/<city>/*_leftImg8bit.png)`);
    expect(noCkpt).toBe(`checkpoint error: ${nope}.safetensors: no such checkpoint file`);
    expect(pretrained).toMatch(/^error: --pretrained: this example has no published backbone to download; the config's MODEL\.PRETRAINED names/);
    expect(badScales).toMatch(/^error: --scales expects positive numbers separated by commas, got '1,x' \(usage: .*predict\.ts --help\)$/);
  });

  it('bad samples (train.ts\'s code path): left out and counted with BAD_SAMPLES skip, the error naming the file with fail; memory flat', async () => {
    // 13 generated images: one without its gtFine file, one label of another size, one with an unknown id.
    const data = join(dir, 'data');
    await generateSyntheticCityscapes(data, { size: [64, 128], cities: 1, trainPerCity: 13, valPerCity: 2, seed: 1 });
    const label = (k: number) => join(data, `gtFine/train/aachen/aachen_000000_${String(k).padStart(6, '0')}_gtFine_labelIds.png`);
    const gray = (w: number, h: number, v: number) => sharp(new Uint8Array(w * h).fill(v), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    const labelOf0 = await readFile(label(0));
    await unlink(label(1));
    await writeFile(label(2), await gray(100, 64, 7));
    await writeFile(label(3), await gray(128, 64, 50));
    const cfg = await loadSegConfig(tiny);
    Object.assign(cfg.TRAIN, { END_EPOCH: 1, BATCH_SIZE_PER_GPU: 4, BASE_SIZE: 128 });
    // Scan the layout (the generated list files would name the missing label too).
    Object.assign(cfg.DATASET, { TRAIN_SET: 'train', TEST_SET: 'val' });
    const failCfg = { ...cfg, DATASET: { ...cfg.DATASET, BAD_SAMPLES: 'fail' as const } };
    const opts = { datadir: data, progress: 'none' as const };

    await initBackend(cfg.BACKEND, { log: () => {} });
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    const r = await trainSegmentation(cfg, { ...opts, log: (l) => lines.push(l) });
    const image1 = join(data, 'leftImg8bit/train/aachen/aachen_000000_000001_leftImg8bit.png');
    expect(lines).toContain(`[data] left out 1 image(s) without their gtFine file (DATASET.BAD_SAMPLES skip): ${image1} (missing ${label(1)})`);
    const epochLine = lines.find((l) => l.startsWith('[data] epoch 1: left out 2 unusable sample(s) (DATASET.BAD_SAMPLES skip): '));
    expect(epochLine).toContain(`${label(2)}: label size 100x64 differs from its image`);
    expect(epochLine).toContain(`${label(3)}: label id 50 at pixel 0 is not a Cityscapes label id`);
    expect(r.badSamples).toHaveLength(3);
    expect(r.trainImages).toBe(12);
    expect(r.fit.steps).toBe(3); // 12 images in batches of 4; the two unusable ones leave smaller batches
    expect(r.evaluation!.images).toBe(2);
    expect(tf.memory().numTensors).toBe(before);

    await expect(trainSegmentation(failCfg, { ...opts, log: () => {} })).rejects.toThrow(`${label(1)}: missing gtFine label for leftImg8bit/train/aachen/aachen_000000_000001_leftImg8bit.png`);
    await writeFile(label(1), labelOf0);
    await expect(trainSegmentation(failCfg, { ...opts, log: () => {} })).rejects.toThrow(/label size 100x64 differs from its image|label id 50 at pixel 0 is not a Cityscapes label id/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
