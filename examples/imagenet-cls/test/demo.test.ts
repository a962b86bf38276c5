import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateImageFolderDataset } from '@hrnet/data-imagenet';
import { createLrSchedule, createOptimizer, loadCheckpoint, loadConfig, RMSProp } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationConfigSchema, type ClassificationConfig } from '../src/config.js';
import { trainClassifier } from '../src/train-classifier.js';
import { buildModel } from '../src/build.js';
import { validateClassifier } from '../src/validate-classifier.js';
import { exportPytorchStateDict, writeSafetensors } from '@hrnet/core';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const exampleDir = join(here, '..');
const configs = join(exampleDir, 'configs');
const demoConfig = join(configs, 'demo-tiny.yaml');

/** The demo config, shrunk to seconds: 32px crops, batch 4. */
async function smallConfig(): Promise<ClassificationConfig> {
  const cfg = await loadConfig(demoConfig, classificationConfigSchema);
  return { ...cfg, batch_size: 4, data: { ...cfg.data, image_size: 32, scale_size: 36, workers: 0, synthetic: { classes: 2, train_per_class: 6, val_per_class: 2, size: 36 } } };
}

const tsx = (script: string, args: string[]) => run('npx', ['tsx', script, ...args], { cwd: exampleDir });
const fail = async (script: string, args: string[]) => {
  const err = (await tsx(script, args).catch((e: unknown) => e)) as { code: number; stderr: string };
  expect(err.code).toBe(1);
  return err.stderr;
};

describe('imagenet-cls example', () => {
  let dir: string;
  let data: string;
  let smallCfgFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-example-test-'));
    data = join(dir, 'data');
    await generateImageFolderDataset(data, { classes: 2, trainPerClass: 4, valPerClass: 2, size: 36, seed: 1 });
    smallCfgFile = join(dir, 'small.yaml');
    const base = await loadConfig(demoConfig, classificationConfigSchema);
    await writeFile(smallCfgFile, JSON.stringify({ ...base, batch_size: 4, data: { ...base.data, image_size: 32, scale_size: 36, workers: 0, synthetic: undefined } })); // JSON is YAML
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('every shipped config is valid and keeps the recipe values', async () => {
    const names = (await readdir(configs)).filter((f) => f.endsWith('.yaml')).sort();
    const timmVariants = ['hrnet_w18', 'hrnet_w18_small', 'hrnet_w18_small_v2', 'hrnet_w30', 'hrnet_w32', 'hrnet_w40', 'hrnet_w44', 'hrnet_w48', 'hrnet_w64'];
    expect(names).toEqual(['demo-tiny.yaml', 'mindcv-hrnet_w32.yaml', 'mindcv-hrnet_w48.yaml', 'mindspore-hrnetw48_cls.yaml', ...timmVariants.map((v) => `timm-${v}.yaml`)]);
    const load = (n: string) => loadConfig(join(configs, n), classificationConfigSchema);
    for (const n of names) expect((await load(n)).micro_batch).toBe('auto'); // every shipped config parses; recipe batches run through accumulation
    // The timm model-index metadata (seed 003), the same for all nine variants.
    for (const v of timmVariants) {
      const c = await load(`timm-${v}.yaml`);
      expect([c.model.name, c.epochs, c.batch_size, c.optimizer.name, c.optimizer.momentum, c.optimizer.weight_decay, c.data.image_size, c.data.crop_pct, c.data.eval_interpolation, c.checkpoint.dir]).toEqual([
        v, 100, 256, 'sgd', 0.9, 1e-3, 224, 0.875, 'bilinear', `./output/${v}`,
      ]);
    }
    const mc = await load('mindcv-hrnet_w32.yaml');
    expect([mc.data.auto_augment, mc.data.re_prob, mc.data.re_mode, mc.data.mixup, mc.data.cutmix, mc.data.mixup_prob]).toEqual(['randaug-m7-mstd0.5', 0.1, 'const', 0.2, 1, 1]);
    const ms = await load('mindspore-hrnetw48_cls.yaml');
    const opt = createOptimizer(ms.optimizer) as RMSProp;
    expect([opt instanceof RMSProp, opt.decay, opt.momentum, opt.epsilon, opt.weightDecay]).toEqual([true, 0.9, 0.9, 1e-3, 1e-5]);
    const lr = createLrSchedule(ms.scheduler, { baseLr: ms.optimizer.lr, epochs: ms.epochs, stepsPerEpoch: 10 });
    expect([lr(0), lr(10), lr(20)]).toEqual([1e-4, expect.closeTo(0.00505, 12), 0.01]); // lr_init -> lr over 2 epochs
    expect(lr(1199)).toBeCloseTo(0.01 - (0.01 - 1e-5) * (1179 / 1180), 12); // -> lr_end
    expect([ms.loss_scale, ms.checkpoint.keep_max, ms.eval_interval, ms.loss.smoothing_style, ms.model.conv_init]).toEqual([
      { type: 'static', scale: 1024, drop_overflow_update: false, growth_interval: 2000 },
      10,
      10,
      'mindspore',
      'TruncatedNormal',
    ]);
    const timm = await load('timm-hrnet_w18_small.yaml');
    expect([timm.model.name, timm.optimizer.name, timm.optimizer.weight_decay, timm.epochs, timm.batch_size, timm.data.crop_pct, timm.data.train_interpolation]).toEqual(['hrnet_w18_small', 'sgd', 1e-3, 100, 256, 0.875, 'bilinear']);
    for (const w of ['32', '48']) {
      const m = await load(`mindcv-hrnet_w${w}.yaml`);
      expect([m.model.name, m.optimizer.name, m.optimizer.lr, m.optimizer.weight_decay, m.scheduler.warmup_epochs, m.scheduler.decay_epochs, m.epochs]).toEqual([`hrnet_w${w}`, 'adamw', 1e-3, 0.05, 20, 280, 300]);
    }
    const text = await readFile(join(configs, 'mindspore-hrnetw48_cls.yaml'), 'utf8');
    expect(text).toMatch(/top-1 79\.4 %, top-5 94\.6 %/);
  });

  it('trains a tiny HRNet for a few steps on a generated dataset and evaluates it', async () => {
    const cfg = await smallConfig();
    const lines: string[] = [];
    const r = await trainClassifier(cfg, { maxSteps: 2, progress: 'none', log: (l) => lines.push(l) });
    expect(r.numClasses).toBe(2);
    expect([r.trainImages, r.valImages]).toEqual([12, 4]);
    expect([r.fit.steps, r.fit.stoppedBy]).toEqual([2, 'maxSteps']);
    expect(Number.isFinite(r.fit.history[0].avgLoss)).toBe(true);
    expect(r.top1).toBeGreaterThanOrEqual(0);
    expect(lines.join('\n')).toMatch(/\[hrnet\] backend: .*\n\[data\] synthetic dataset: 2 classes/);
  }, 120_000);

  it('train.ts: checkpoints every epoch, --resume continues, validate.ts reads the checkpoint', async () => {
    const ckpt = join(dir, 'ckpt');
    const first = await tsx('train.ts', ['--cfg', smallCfgFile, `--datadir=${data}`, '--max_epochs', '1', '--ckpt_save_dir', ckpt]);
    expect(first.stdout).toContain(`[data] ${data}: 2 classes, 8 train / 4 val images, 32x32 crops`);
    expect(first.stdout).toMatch(/epoch: \[1\/1\], epoch time: [\d.]+, steps: 2, per step time: [\d.]+, avg loss: [\d.]+, lr:\[[\d.e-]+\], img\/s: [\d.]+, data wait: [\d.]+%, val loss: [\d.]+, val top1: [\d.]+/);
    expect(first.stdout).toMatch(/done in [\d.]+ s on \w+: val top-1 [\d.]+% \(2 classes, chance 50\.0%\)/);
    expect((await readdir(ckpt)).sort()).toEqual(['hrnet-best.safetensors', 'hrnet-epoch0001.safetensors']);

    const resumed = await tsx('train.ts', ['--cfg', smallCfgFile, '--datadir', data, '--max_epochs', '2', '--amp', '--resume', join(ckpt, 'hrnet-epoch0001.safetensors'), '--ckpt_save_dir', ckpt]);
    expect(resumed.stdout).not.toMatch(/epoch: \[1\/2\]/);
    expect(resumed.stdout).toMatch(/epoch: \[2\/2\], .*steps: 2,/);
    expect(resumed.stdout).toMatch(/\[hrnet\] amp: float32 compute \(TF\.js has no float16 path on \w+\)\n[\s\S]*loss scaling: dynamic \(--amp\)/);

    const val = await tsx('validate.ts', ['--cfg', smallCfgFile, '--datadir', data, '--ckpt_path', join(ckpt, 'hrnet-epoch0002.safetensors')]);
    expect(val.stdout).toMatch(/4 images, [\d.]+ s on \w+\n\{'Top_1_Accuracy': [\d.]+, 'Loss': [\d.]+\}/);
  }, 120_000);

  it('validate reads timm-named weights (as exported from PyTorch) too', async () => {
    const cfg = classificationConfigSchema.parse(JSON.parse(await readFile(smallCfgFile, 'utf8')));
    const model = buildModel(cfg, 2);
    const timmFile = join(dir, 'timm-weights.safetensors');
    await writeFile(timmFile, writeSafetensors(exportPytorchStateDict(model)));
    model.dispose();
    const r = await validateClassifier(cfg, { datadir: data, ckptPath: timmFile, log: () => undefined });
    expect([r.weights, r.samples, r.numClasses, r.runtime]).toEqual(['timm', 4, 2, 'tfjs']);
    expect(r.top1).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(r.loss)).toBe(true);
    // --runtime onnx: the same numbers through onnxruntime-node (loss to 1e-4 relative)
    const onnx = await validateClassifier(cfg, { datadir: data, ckptPath: timmFile, runtime: 'onnx', log: () => undefined });
    expect([onnx.runtime, onnx.samples, onnx.top1]).toEqual(['onnx', 4, r.top1]);
    expect(Math.abs(onnx.loss - r.loss)).toBeLessThanOrEqual(1e-4 * Math.max(1, r.loss));
  }, 60_000);

  it('train.ts with lr 1e8 (issue 18: printed "done" with non-finite weights saved) stops with one line naming the variable, exit 1, no checkpoint', async () => {
    // The demo config (generated data, worker-thread decoding) with lr 1e8: it diverges within the first epoch, with
    // batches still decoding in the worker pool (closing it then used to end the process silently with exit 0).
    const cfgFile = join(dir, 'lr1e8.yaml');
    await writeFile(cfgFile, (await readFile(demoConfig, 'utf8')).replace(/^ {2}lr: .*$/m, '  lr: 1.0e+8'));
    const ckpt = join(dir, 'ckpt-lr1e8');
    const stderr = await fail('train.ts', ['--cfg', cfgFile, '--max_epochs', '3', '--ckpt_save_dir', ckpt]);
    expect(stderr).toMatch(/^error: training diverged: (\d+ of \d+ values of '[^']+' are not finite|the loss became NaN) after update \d+/m);
    expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
    // Checkpoints of epochs before the divergence may exist; none holds a non-finite value.
    for (const f of await readdir(ckpt).catch(() => [] as string[])) {
      const { tensors } = await loadCheckpoint(join(ckpt, f));
      for (const [k, t] of Object.entries(tensors)) expect(Array.from(t.data as Float32Array).every(Number.isFinite), `${f}: ${k}`).toBe(true);
    }
  }, 120_000);

  it('--bad_samples (issue 18: one policy for every training script): a truncated image is skipped and counted by default, --bad_samples fail stops with one line naming it', async () => {
    const bad = join(dir, 'bad-data');
    await generateImageFolderDataset(bad, { classes: 2, trainPerClass: 4, valPerClass: 2, size: 36, seed: 1 });
    const cls = (await readdir(join(bad, 'train'))).sort()[0];
    const victim = join(bad, 'train', cls, (await readdir(join(bad, 'train', cls))).sort()[0]);
    const bytes = await readFile(victim);
    await writeFile(victim, bytes.subarray(0, bytes.length >> 1));
    const [skip, stderr] = await Promise.all([
      tsx('train.ts', ['--cfg', smallCfgFile, '--datadir', bad, '--max_epochs', '1']),
      fail('train.ts', ['--cfg', smallCfgFile, '--datadir', bad, '--max_epochs', '1', '--bad_samples', 'fail']),
    ]);
    expect(skip.stdout).toContain('[data] skipped 1 corrupt image(s)');
    expect(skip.stdout).toMatch(/^done in /m);
    expect(stderr).toMatch(new RegExp(`^error: cannot decode image '${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': .+\n$`));
  }, 180_000);

  it('reports bad config keys and incompatible checkpoints and exits 1', async () => {
    const badCfg = join(dir, 'bad.yaml');
    await writeFile(badCfg, (await readFile(demoConfig, 'utf8')).replace('num_features: 128', 'num_featurez: 128'));
    const otherModel = join(dir, 'other.yaml');
    await writeFile(otherModel, (await readFile(smallCfgFile, 'utf8')).replace('"num_features":128', '"num_features":64'));
    const ckptFile = join(dir, 'ckpt', 'hrnet-epoch0001.safetensors');
    // Flag errors: test/cli.test.ts walks every script's bad invocations.
    const [unknownKey, mismatch] = await Promise.all([
      fail('train.ts', ['--cfg', badCfg]),
      fail('validate.ts', ['--cfg', otherModel, '--datadir', data, '--ckpt_path', ckptFile]),
    ]);
    expect(unknownKey).toContain(`config error: ${badCfg}: unknown key 'model.num_featurez'`);
    expect(mismatch).toMatch(/checkpoint error: checkpoint '.*hrnet-epoch0001.safetensors' does not fit this model/);
  }, 120_000);
});
