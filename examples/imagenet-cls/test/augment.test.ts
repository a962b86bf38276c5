import { loadConfig } from '@hrnet/train';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classificationConfigSchema } from '../src/config.js';
import { trainClassifier } from '../src/train-classifier.js';

const configs = join(dirname(fileURLToPath(import.meta.url)), '..', 'configs');

describe('recipe augmentations in the training batch path', () => {
  it('RandAugment, mixup + cutmix (soft targets into the cross entropy) and random erasing train a few finite steps', async () => {
    const base = await loadConfig(join(configs, 'demo-tiny.yaml'), classificationConfigSchema);
    const cfg = classificationConfigSchema.parse({
      ...base,
      data: { ...base.data, train_crop: 'rrc', auto_augment: 'randaug-m7-mstd0.5-inc1', re_prob: 0.5, re_mode: 'pixel', mixup: 0.8, cutmix: 1, mixup_switch_prob: 0.5, synthetic: { classes: 4, train_per_class: 8, val_per_class: 2, size: 73 }, workers: 0 },
    });
    const r = await trainClassifier(cfg, { progress: 'none', log: () => undefined, maxEpochs: 1, maxSteps: 2 });
    expect(r.fit.steps).toBe(2);
    expect(Number.isFinite(r.fit.history[0].avgLoss)).toBe(true);
  }, 60_000);

  it('re_prob needs the rrc train crop (one error naming the key)', () => {
    const bad = { batch_size: 2, epochs: 1, model: { name: 'hrnet_w18_small' }, data: { image_size: 64, train_crop: 'random', re_prob: 0.2 } };
    expect(() => classificationConfigSchema.parse(bad)).toThrow(/re_prob/);
  });
});
