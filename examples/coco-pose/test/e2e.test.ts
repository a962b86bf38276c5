/**
 * End to end: the shipped tiny config trains on a generated COCO keypoints dataset and reaches COCO AP >= 0.5 on
 * its val images (evaluateKeypoints = pycocotools' numbers); the saved model directory reloads to the same poses;
 * valid.ts and predict.ts run from the command line on it; bad flags and keys fail clearly.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { evaluateKeypoints, loadCocoKeypoints } from '@hrnet/data-coco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPoseModel } from '../src/checkpoint.js';
import { loadPoseConfig } from '../src/config.js';
import { annotationFile, generateSyntheticDataset } from '../src/data.js';
import { evaluatePose } from '../src/evaluate.js';
import { trainPose, type TrainPoseResult } from '../src/train-pose.js';

const run = promisify(execFile);
const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tinyConfig = join(exampleDir, 'configs', 'tiny-cpu.yaml');
const recipeConfig = join(exampleDir, 'configs', 'w32_512_adam_lr1e-3.yaml');

const cli = (script: string, args: string[]) => run('npx', ['tsx', script, ...args], { cwd: exampleDir, maxBuffer: 16 << 20 });
const cliFailure = async (script: string, args: string[]) => {
  const err = (await cli(script, args).catch((e: unknown) => e)) as { code?: number; stderr?: string };
  expect(err.code, `${script} ${args.join(' ')} should fail`).toBe(1);
  return err.stderr ?? '';
};

describe('coco-pose example', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-test-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the shipped configs validate and mirror the official keys', async () => {
    const recipe = await loadPoseConfig(recipeConfig);
    expect(recipe.TRAIN).toMatchObject({ OPTIMIZER: 'adam', LR: 0.001, LR_STEP: [200, 260], LR_FACTOR: 0.1, END_EPOCH: 300, IMAGES_PER_GPU: 12 });
    expect(recipe.DATASET).toMatchObject({ INPUT_SIZE: 512, OUTPUT_SIZE: [128, 256], SIGMA: 2, MAX_ROTATION: 30, MIN_SCALE: 0.75, MAX_SCALE: 1.5 });
    expect(recipe.LOSS).toMatchObject({ AE_LOSS_TYPE: 'exp', PUSH_LOSS_FACTOR: [0.001, 0.001], PULL_LOSS_FACTOR: [0.001, 0.001], HEATMAPS_LOSS_FACTOR: [1, 1] });
    expect(recipe.TEST).toMatchObject({ FLIP_TEST: true, WITH_HEATMAPS: [true, true], WITH_AE: [true, false], NMS_KERNEL: 5, DETECTION_THRESHOLD: 0.1 });
    expect(recipe.MODEL.EXTRA.STAGE4.NUM_CHANNELS).toEqual([32, 64, 128, 256]);
    expect(recipe.TRAIN.MICRO_BATCH).toBe('auto');
    // The 640 recipes (experiments/coco/higher_hrnet/w{32,48}_640_adam_lr1e-3.yaml), and every shipped config parses.
    const configsDir = join(exampleDir, 'configs');
    expect((await readdir(configsDir)).sort()).toEqual(['tiny-cpu.yaml', 'w32_512_adam_lr1e-3.yaml', 'w32_640_adam_lr1e-3.yaml', 'w48_640_adam_lr1e-3.yaml']);
    for (const [file, widths, batch] of [['w32_640_adam_lr1e-3.yaml', [32, 64, 128, 256], 12], ['w48_640_adam_lr1e-3.yaml', [48, 96, 192, 384], 10]] as const) {
      const c = await loadPoseConfig(join(configsDir, file));
      expect(c.DATASET).toMatchObject({ INPUT_SIZE: 640, OUTPUT_SIZE: [160, 320], SIGMA: 2 });
      expect(c.MODEL.EXTRA.STAGE4.NUM_CHANNELS).toEqual(widths);
      expect(c.MODEL.EXTRA.DECONV.NUM_CHANNELS).toEqual([widths[0]]);
      expect(c.FP16).toEqual({ ENABLED: true, STATIC_LOSS_SCALE: 1, DYNAMIC_LOSS_SCALE: true });
      expect(c.TRAIN).toMatchObject({ OPTIMIZER: 'adam', LR: 0.001, LR_STEP: [200, 260], END_EPOCH: 300, IMAGES_PER_GPU: batch, MICRO_BATCH: 'auto' });
    }
    const tiny = await loadPoseConfig(tinyConfig);
    expect(tiny.DATASET.INPUT_SIZE % 32).toBe(0);
    expect(tiny.DATASET.OUTPUT_SIZE).toEqual([tiny.DATASET.INPUT_SIZE / 4, tiny.DATASET.INPUT_SIZE / 2]);
  });

  it('an unknown or unsupported key is an error naming it', async () => {
    const text = await readFile(recipeConfig, 'utf8');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, text.replace('  LR_STEP: [200, 260]', '  LR_STEPS: [200, 260]').replace('    STEM_INPLANES: 64', '    STEM_INPLANES: 64\n    FOO: 1').replace('DATA_FORMAT: jpg', 'DATA_FORMAT: zip'));
    await expect(loadPoseConfig(bad)).rejects.toThrow(/unknown key 'TRAIN\.LR_STEPS'.*|unknown key 'MODEL\.EXTRA\.FOO'/);
    const err = (await loadPoseConfig(bad).catch((e: Error) => e)) as Error;
    expect(err.message).toContain("unknown key 'TRAIN.LR_STEPS'");
    expect(err.message).toContain("unknown key 'MODEL.EXTRA.FOO'");
    expect(err.message).toContain("'DATASET.DATA_FORMAT': only 'jpg'");
    const sizes = join(dir, 'sizes.yaml');
    await writeFile(sizes, text.replace('OUTPUT_SIZE: [128, 256]', 'OUTPUT_SIZE: [128, 512]'));
    await expect(loadPoseConfig(sizes)).rejects.toThrow("'DATASET.OUTPUT_SIZE.1': output 1 of a 512 input is 256x256, got 512");
  });

  describe('the tiny config on the generated dataset', () => {
    let trained: TrainPoseResult;
    let data: string;
    let ap = 0;

    afterAll(() => trained?.model.dispose());

    it('trains within the budget and reaches COCO AP >= 0.5 on the generated val images', async () => {
      const cfg = await loadPoseConfig(tinyConfig);
      data = join(dir, 'data');
      const t0 = performance.now();
      const lines: string[] = [];
      trained = await trainPose(cfg, { syntheticDir: data, outputDir: join(dir, 'out'), keepModel: true, progress: 'none', log: (l) => lines.push(l) });
      const trainS = (performance.now() - t0) / 1000;
      const ev = await evaluatePose(trained.model, cfg, { root: data, resultsFile: join(dir, 'results.json') });
      // The same numbers from the results file, through evaluateKeypoints' file path.
      const again = await evaluateKeypoints(annotationFile(data, cfg.DATASET.TEST), join(dir, 'results.json'));
      expect(again.stats).toEqual(ev.stats);
      ap = ev.stats[0];
      const total = (performance.now() - t0) / 1000;
      console.log(
        `[e2e] ${trained.fit.steps} updates in ${trainS.toFixed(0)} s on ${trained.backend}; AP ${ap.toFixed(3)} (AP50 ${ev.stats[1].toFixed(3)}, AR ${ev.stats[5].toFixed(3)}) ` +
          `on ${ev.images} val images in ${ev.seconds.toFixed(1)} s; total ${total.toFixed(0)} s`,
      );
      expect(lines.join('\n')).toMatch(/\[data\] generated \d+ train \/ \d+ val images/);
      expect(trained.fit.history).toHaveLength(cfg.TRAIN.END_EPOCH);
      expect(ap).toBeGreaterThanOrEqual(0.5);
    }, 900_000);

    it('saves an atomic model directory and epoch checkpoints that reload to the same poses', async () => {
      expect(trained, 'training failed').toBeDefined();
      const cfg = await loadPoseConfig(tinyConfig);
      for (const f of ['model.json', 'weights.bin', 'config.json']) expect((await stat(join(trained.modelDir!, f))).size).toBeGreaterThan(0);
      expect(trained.checkpoint).toMatch(/checkpoint-epoch\d{4}\.safetensors$/);
      const fromDir = await loadPoseModel(trained.modelDir!);
      const fromCkpt = await loadPoseModel(trained.checkpoint!);
      expect(fromDir.cfg.MODEL).toEqual(cfg.MODEL);
      const x = tf.randomNormal([1, cfg.DATASET.INPUT_SIZE, cfg.DATASET.INPUT_SIZE + 32, 3], 0, 1, 'float32', 3);
      const ref = trained.model.predict(x) as tf.Tensor[];
      for (const m of [fromDir.model, fromCkpt.model]) {
        const out = m.predict(x) as tf.Tensor[];
        out.forEach((o, k) => expect(tf.max(tf.abs(tf.sub(o, ref[k]))).dataSync()[0]).toBeLessThan(1e-5));
        tf.dispose(out);
        m.dispose();
      }
      tf.dispose([x, ...ref]);
    }, 120_000);

    it('valid.ts prints the AP table and writes the results; predict.ts writes poses JSON and an overlay PNG, the same with --runtime onnx', async () => {
      expect(trained, 'training failed').toBeDefined();
      const results = join(dir, 'valid-results.json');
      const { stdout } = await cli('valid.ts', ['--ckpt', trained.modelDir!, '--datadir', data, '--flip', '--scales', '1', '--out', results]);
      expect(stdout).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets= 20 \] = \d\.\d{3}/);
      expect(stdout).toContain('| Arch | AP | Ap .5 |');
      const printed = Number(/IoU=0\.50:0\.95 \| area= {3}all \| maxDets= 20 \] = (\d\.\d{3})/.exec(stdout)![1]);
      expect(printed).toBeCloseTo(ap, 3);
      expect(JSON.parse(await readFile(results, 'utf8')).length).toBeGreaterThan(0);

      const gt = await loadCocoKeypoints(annotationFile(data, 'val2017'));
      const image = join(data, 'images', 'val2017', gt.images[0].file_name);
      const out = join(dir, 'pred');
      const p = await cli('predict.ts', ['--image', image, '--ckpt', trained.modelDir!, '--out', out]);
      const stem = gt.images[0].file_name.replace(/\.jpg$/, '');
      expect(p.stdout).toContain(`${stem}.overlay.png`);
      const poses = JSON.parse(await readFile(join(out, `${stem}.poses.json`), 'utf8')) as { poses: { keypoints: unknown[]; score: number }[] };
      expect(poses.poses.length).toBeGreaterThan(0);
      expect(poses.poses[0].keypoints).toHaveLength(17);
      const png = await readFile(join(out, `${stem}.overlay.png`));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      // --runtime onnx: the same people through onnxruntime-node (our ONNX export of the model)
      const outOnnx = join(dir, 'pred-onnx');
      await cli('predict.ts', ['--image', image, '--ckpt', trained.modelDir!, '--out', outOnnx, '--runtime', 'onnx']);
      const onnx = JSON.parse(await readFile(join(outOnnx, `${stem}.poses.json`), 'utf8')) as typeof poses;
      expect(onnx.poses.map((q) => q.score)).toEqual(poses.poses.map((q) => expect.closeTo(q.score, 3)));
    }, 180_000);
  });

  it('train.ts trains on a generated dataset, evaluates it, and --resume continues at the next epoch', async () => {
    // The tiny config shrunk to seconds: 16 train / 4 val images, 2 updates per epoch.
    const small = join(dir, 'small.yaml');
    const text = await readFile(tinyConfig, 'utf8');
    await writeFile(small, text.replace('TRAIN_IMAGES: 400', 'TRAIN_IMAGES: 16').replace('VAL_IMAGES: 40', 'VAL_IMAGES: 4').replace('END_EPOCH: 6', 'END_EPOCH: 1'));
    const out = join(dir, 'cli-out');
    const first = await cli('train.ts', ['--cfg', small, '--ckpt_save_dir', out]);
    expect(first.stdout).toMatch(/\[data\] generated 16 train \/ 4 val images/);
    expect(first.stdout).toMatch(/epoch: \[1\/1\], epoch time: [\d.]+, steps: 2, per step time: [\d.]+, avg loss: [\d.]+/);
    expect(first.stdout).toMatch(/\[valid\] 4 generated val2017 images .*\n Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95/);
    expect(first.stdout).toContain(`checkpoint: ${join(out, 'checkpoint-epoch0001.safetensors')}`);
    const second = await cli('train.ts', ['--cfg', small, '--ckpt_save_dir', out, '--max_epochs=2', '--resume', join(out, 'checkpoint-epoch0001.safetensors')]);
    expect(second.stdout).toMatch(/epoch: \[2\/2\], epoch time: [\d.]+, steps: 2,/);
    expect(second.stdout).not.toContain('epoch: [1/2]');
    expect((await stat(join(out, 'checkpoint-epoch0002.safetensors'))).size).toBeGreaterThan(0);
    const stored = JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8')) as { epoch: number; globalStep: number };
    expect([stored.epoch, stored.globalStep]).toEqual([2, 4]);
  }, 180_000);

  it('train.ts skips and counts missing, empty and truncated images (DATASET.BAD_SAMPLES, default skip; issue 18: one bad image ended the run); BAD_SAMPLES: fail stops with one line', async () => {
    const small = join(dir, 'small-bad.yaml');
    const text = (await readFile(tinyConfig, 'utf8')).replace('TRAIN_IMAGES: 400', 'TRAIN_IMAGES: 12').replace('END_EPOCH: 6', 'END_EPOCH: 1');
    await writeFile(small, text);
    const data = join(dir, 'bad-data');
    await generateSyntheticDataset(await loadPoseConfig(small), data, { splits: ['train'] });
    const img = (id: number) => join(data, 'images', 'train2017', `${String(id).padStart(12, '0')}.jpg`);
    await rm(img(2));
    await writeFile(img(3), '');
    const bytes = await readFile(img(5));
    await writeFile(img(5), bytes.subarray(0, bytes.length >> 1));
    const ann = annotationFile(data, 'train2017');

    // One process, and --dist 2 (each rank loads its share: the truncated image is skipped by the rank that draws it).
    const [ok, dist] = await Promise.all([
      cli('train.ts', ['--cfg', small, '--datadir', data, '--ckpt_save_dir', join(dir, 'bad-out')]),
      cli('train.ts', ['--cfg', small, '--datadir', data, '--ckpt_save_dir', join(dir, 'bad-out-dist'), '--dist', '2']),
    ]);
    for (const r of [ok, dist]) {
      expect(r.stderr).toContain(`[data-coco] left out 2 of 12 images of ${ann} cannot be used: ${img(2)} (missing), ${img(3)} (empty file)\n`);
      expect(r.stderr).toMatch(new RegExp(`\\[data-coco\\] epoch 1: skipped 1 unreadable image\\(s\\): ${img(5).replace(/[.]/g, '\\.')} \\(`));
      expect(r.stdout).toMatch(/done in [\d.]+ s on \w+.*: \d+ updates/);
    }
    expect(ok.stdout).toMatch(/epoch: \[1\/1\], .*steps: \d+,/);
    // The flag sets the same policy as the config key, for every training script.
    expect((await cliFailure('train.ts', ['--cfg', small, '--datadir', data, '--bad_samples', 'fail'])).trim()).toBe(
      `error: 2 of 12 images of ${ann} cannot be used: ${img(2)} (missing), ${img(3)} (empty file) (badSamples 'skip' leaves them out)`,
    );

    const failing = join(dir, 'small-bad-fail.yaml');
    await writeFile(failing, text.replace(/^DATASET:\n/m, 'DATASET:\n  BAD_SAMPLES: fail\n'));
    const stderr = await cliFailure('train.ts', ['--cfg', failing, '--datadir', data]);
    expect(stderr.trim()).toBe(`error: 2 of 12 images of ${ann} cannot be used: ${img(2)} (missing), ${img(3)} (empty file) (badSamples 'skip' leaves them out)`);
  }, 180_000);

  it('train.ts --dist 2 trains in two processes (global batch 2 x IMAGES_PER_GPU) and saves one model', async () => {
    const small = join(dir, 'small-dist.yaml');
    const text = await readFile(tinyConfig, 'utf8');
    await writeFile(small, text.replace('TRAIN_IMAGES: 400', 'TRAIN_IMAGES: 32').replace('VAL_IMAGES: 40', 'VAL_IMAGES: 2').replace('END_EPOCH: 6', 'END_EPOCH: 1'));
    const out = join(dir, 'dist-out');
    const { stdout } = await cli('train.ts', ['--cfg', small, '--ckpt_save_dir', out, '--dist', '2', '--sync_bn']);
    expect(stdout).toContain('[dist] 2 ranks x 8 images = global batch 16, 2 updates per epoch');
    expect(stdout).toMatch(/\[dist\] synchronized BatchNorm in \d+ layers/);
    // Only rank 0 logs, evaluates and writes checkpoints.
    expect(stdout.match(/epoch: \[1\/1\]/g)).toHaveLength(1);
    expect(stdout).toContain('[dist] 2 data-parallel processes');
    expect(stdout.match(/^done in [\d.]+ s on [\w +]+: 2 updates/gm)).toHaveLength(1);
    expect(stdout).toMatch(/\[valid\] 2 generated val2017 images/);
    expect((await stat(join(out, 'checkpoint-epoch0001.safetensors'))).size).toBeGreaterThan(0);
    expect((await stat(join(out, 'model', 'weights.bin'))).size).toBeGreaterThan(0);
  }, 180_000);
});
