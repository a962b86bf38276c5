import { loadConfig } from '@hrnet/train';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classificationConfigSchema } from '../src/config.js';
import { trainClassifier } from '../src/train-classifier.js';

const demoConfig = join(dirname(fileURLToPath(import.meta.url)), '..', 'configs', 'demo-tiny.yaml');

describe('end to end on generated data', () => {
  it('the tiny HRNet config reaches >= 90% top-1 on held-out generated images', async () => {
    const cfg = await loadConfig(demoConfig, classificationConfigSchema);
    const lines: string[] = [];
    const r = await trainClassifier(cfg, { progress: 'none', log: (l) => lines.push(l) });
    console.log(`[e2e] ${r.seconds.toFixed(1)} s on ${r.backend}: val top-1 ${(r.top1 * 100).toFixed(1)}% on ${r.valImages} held-out images; data wait ${r.dataWaitPct.toFixed(1)}%`);
    expect(r.valImages).toBe(40); // 10 per class, generated with other seeds than the 160 train images
    expect(r.top1).toBeGreaterThanOrEqual(0.9);
    expect(r.fit.history).toHaveLength(10);
  }, 150_000);
});
