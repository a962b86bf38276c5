import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPoseConfig } from '../src/config.js';
import { loadPretrained } from '../src/model-init.js';
import { startFakeHub } from '../../../test-utils/fake-hub.js';

const recipe = fileURLToPath(new URL('../configs/w32_512_adam_lr1e-3.yaml', import.meta.url));
// The checks run before the model is touched: no network is built here.
const noModel = {} as tf.LayersModel;

describe('MODEL.PRETRAINED and --pretrained', () => {
  const cache = mkdtempSync(join(tmpdir(), 'hrnet-pose-pretrained-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('a named file that is missing is an error saying what to do; MODEL.PRETRAINED "" opts out', async () => {
    const cfg = await loadPoseConfig(recipe);
    await expect(loadPretrained(noModel, cfg)).rejects.toThrow(
      /^MODEL\.PRETRAINED models\/pytorch\/imagenet\/hrnet_w32-36af842e\.pth not found: download the ImageNet HRNet checkpoint there .*, or pass --pretrained to download timm's hrnet_w32 instead, or set MODEL\.PRETRAINED '' to train from scratch$/,
    );
    expect(await loadPretrained(noModel, { ...cfg, MODEL: { ...cfg.MODEL, PRETRAINED: '' } })).toBe('N(0, 0.001) conv initialisation');
  });

  it('--pretrained fetches timm hrnet_w<C> of the config width (an unreachable tag: one line naming the flag)', async () => {
    const cfg = await loadPoseConfig(recipe);
    const hub = await startFakeHub({});
    const saved = { hub: process.env.HRNET_HUB_URL, cache: process.env.HRNET_CACHE_DIR };
    Object.assign(process.env, { HRNET_HUB_URL: hub.url, HRNET_CACHE_DIR: cache });
    try {
      await expect(loadPretrained(noModel, cfg, { pretrained: true })).rejects.toThrow(/^--pretrained: pretrained weights hrnet_w32\.ms_in1k: \S+ answered HTTP 404/);
      expect(hub.requests).toEqual(['GET /timm/hrnet_w32.ms_in1k/resolve/main/model.safetensors']);
    } finally {
      for (const [k, v] of [['HRNET_HUB_URL', saved.hub], ['HRNET_CACHE_DIR', saved.cache]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await hub.close();
    }
  });
});
