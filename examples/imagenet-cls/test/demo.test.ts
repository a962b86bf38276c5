import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateImageFolderDataset } from '@hrnet/data-imagenet';
import { loadConfig } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classificationConfigSchema, type ClassificationConfig } from '../src/config.js';
import { trainClassifier } from '../src/train-classifier.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const exampleDir = join(here, '..');
const demoConfig = join(exampleDir, 'configs', 'demo-tiny.yaml');

/** The demo config, shrunk to seconds: 32px crops, batch 4, 2 classes. */
async function smallConfig(): Promise<ClassificationConfig> {
  const cfg = await loadConfig(demoConfig, classificationConfigSchema);
  return { ...cfg, batch_size: 4, data: { ...cfg.data, image_size: 32, scale_size: 36, synthetic: { classes: 2, train_per_class: 6, val_per_class: 2, size: 36 } } };
}

describe('imagenet-cls example', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-example-test-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the shipped demo config is valid', async () => {
    const cfg = await loadConfig(demoConfig, classificationConfigSchema);
    expect(cfg.model.cfg?.stage4.num_channels).toEqual([8, 16, 32, 64]);
    expect(cfg.model.head_channels).toEqual([8, 16, 32, 64]);
    expect(cfg.model.num_features).toBe(128);
    expect(cfg.data.synthetic?.classes).toBe(4);
  });

  it('trains a tiny HRNet for a few steps on a generated dataset and evaluates it', async () => {
    const cfg = await smallConfig();
    const lines: string[] = [];
    const r = await trainClassifier(cfg, { maxSteps: 2, progress: 'none', log: (l) => lines.push(l) });
    expect(r.numClasses).toBe(2);
    expect([r.trainImages, r.valImages]).toEqual([12, 4]);
    expect(r.fit.steps).toBe(2);
    expect(r.fit.stoppedBy).toBe('maxSteps');
    expect(Number.isFinite(r.fit.history[0].avgLoss)).toBe(true);
    expect(r.top1).toBeGreaterThanOrEqual(0);
    expect(r.top1).toBeLessThanOrEqual(1);
    expect(lines.join('\n')).toMatch(/\[hrnet\] backend: .*\n\[data\] synthetic dataset: 2 classes/);
  }, 120_000);

  it('train.ts runs end to end from the command line on a --datadir', async () => {
    const data = join(dir, 'data');
    await generateImageFolderDataset(data, { classes: 2, trainPerClass: 4, valPerClass: 2, size: 36, seed: 1 });
    const cfgFile = join(dir, 'small.yaml');
    const base = await loadConfig(demoConfig, classificationConfigSchema);
    const cfg = { ...base, batch_size: 4, data: { ...base.data, image_size: 32, scale_size: 36, synthetic: undefined } };
    await writeFile(cfgFile, JSON.stringify(cfg)); // JSON is YAML
    const { stdout } = await run('npx', ['tsx', 'train.ts', '--cfg', cfgFile, `--datadir=${data}`, '--max_epochs', '1'], { cwd: exampleDir });
    expect(stdout).toContain(`[data] ${data}: 2 classes, 8 train / 4 val images, 32x32 crops`);
    expect(stdout).toMatch(/epoch: \[1\/1\], epoch time: [\d.]+, steps: 2, per step time: [\d.]+, avg loss: [\d.]+, lr:\[[\d.e-]+\], .*val top1: [\d.]+/);
    expect(stdout).toMatch(/done in [\d.]+ s on \w+: val top-1 [\d.]+% \(2 classes, chance 50\.0%\)/);
  }, 120_000);

  it('train.ts reports bad flags and config errors with the flag / key and exits 1', async () => {
    const fail = async (args: string[]) => {
      const err = (await run('npx', ['tsx', 'train.ts', ...args], { cwd: exampleDir }).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(err.code).toBe(1);
      return err.stderr;
    };
    const badCfg = join(dir, 'bad.yaml');
    await writeFile(badCfg, (await readFile(demoConfig, 'utf8')).replace('num_features: 128', 'num_featurez: 128'));
    const [noCfg, amp, unknownKey] = await Promise.all([
      fail(['--max_epochs', '2']),
      fail(['--cfg', demoConfig, '--amp']),
      fail(['--cfg', badCfg]),
    ]);
    expect(noCfg).toContain('--cfg <config.yaml> is required');
    expect(amp).toContain('--amp: mixed precision is not available');
    expect(unknownKey).toContain(`config error: ${badCfg}: unknown key 'model.num_featurez'`);
  }, 120_000);
});
