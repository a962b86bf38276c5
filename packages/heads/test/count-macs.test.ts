import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countMacs } from '@hrnet/core';
import { describe, expect, it } from 'vitest';
import { createClassifier } from '../src/index.js';

const counts = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../fixtures/hrnet-cls/param-counts.json', import.meta.url)), 'utf8'),
).variants as Record<string, { gmacs_224: number; gmacs_256: number }>;

describe('countMacs equals the reference conv+linear MACs', () => {
  it.each(['hrnet_w18_small', 'hrnet_w32'])('%s at 224 and 256', (name) => {
    for (const size of [224, 256] as const) {
      const model = createClassifier(name, { numClasses: 1000, inputShape: [size, size, 3] });
      // The reference rounds to 4 decimals (GMACs).
      expect(countMacs(model) / 1e9).toBeCloseTo(counts[name][`gmacs_${size}`], 4);
      model.dispose();
    }
  });
});
