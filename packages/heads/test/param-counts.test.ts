import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { listModels } from '@hrnet/core';
import { describe, expect, it } from 'vitest';
import { createClassifier } from '../src/index.js';

const counts = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../fixtures/hrnet-cls/param-counts.json', import.meta.url)), 'utf8'),
).variants as Record<string, { total_params: number; bn_buffer_elems: number; bn_layers: number }>;

const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

describe('parameter counts equal timm v0.9.16 (1000 classes)', () => {
  it.each(listModels(undefined, { family: 'hrnet' }))('%s', (name) => {
    const model = createClassifier(name, { numClasses: 1000 });
    try {
      const ref = counts[name];
      expect(size(model.trainableWeights)).toBe(ref.total_params);
      expect(size(model.nonTrainableWeights)).toBe(ref.bn_buffer_elems);
      expect(model.layers.filter((l) => l.getClassName() === 'BatchNorm2d').length).toBe(ref.bn_layers);
    } finally {
      model.dispose();
    }
  });
});
