import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPytorchStateDict, initBackend, writeSafetensors } from '@hrnet/core';
import { createClassifier, createModel, fetchPretrained, loadPretrained, TIMM_PRETRAINED_TAGS } from '../src/index.js';
import { startFakeHub, type FakeHub } from '../../../test-utils/fake-hub.js';

// timm's published hrnet_w18_small.ms_in1k stood in for by random weights in timm's naming, served from a
// hub on 127.0.0.1 (tests never touch the internet); corrupted / partial / offline downloads: core's fetch-cached test.
describe('createModel(name, { pretrained })', () => {
  let hub: FakeHub;
  let cacheDir: string;
  let published: Record<string, { shape: number[]; data: Float32Array }>;
  const where = () => ({ cacheDir, hubUrl: hub.url });

  beforeAll(async () => {
    await initBackend('cpu', { log: () => {} });
    const source = createClassifier('hrnet_w18_small', { numClasses: 1000, seed: 3 });
    published = exportPytorchStateDict(source) as typeof published;
    source.dispose();
    hub = await startFakeHub({ 'timm/hrnet_w18_small.ms_in1k/model.safetensors': writeSafetensors(published) });
    cacheDir = mkdtempSync(join(tmpdir(), 'hrnet-pretrained-'));
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const expectPublished = (model: tf.LayersModel, keys: string[]) => {
    const state = exportPytorchStateDict(model);
    for (const k of keys) expect(state[k].data, k).toEqual(published[k].data);
  };

  it('downloads timm/<name>.<default tag> into the cache and loads it', async () => {
    const lines: string[] = [];
    const model = await createModel('hrnet_w18_small', { pretrained: true, ...where(), log: (l) => lines.push(l) });
    expectPublished(model, ['conv1.weight', 'stage4.0.fuse_layers.0.3.1.weight', 'bn1.running_var', 'classifier.weight', 'classifier.bias']);
    expect(lines[0]).toMatch(/^pretrained weights hrnet_w18_small\.ms_in1k: downloading http:\/\/127\.0\.0\.1:\d+\/timm\/hrnet_w18_small\.ms_in1k\/resolve\/main\/model\.safetensors → .*timm\/hrnet_w18_small\.ms_in1k\/model\.safetensors$/);
    model.dispose();
  });

  it('a classifier of another size keeps its own classifier (timm), everything else published; loadPretrained on your own model, from the cache', async () => {
    const n = hub.requests.length;
    const model = createClassifier('hrnet_w18_small', { numClasses: 5, dropRate: 0.2 });
    await loadPretrained(model, 'hrnet_w18_small', { pretrained: 'ms_in1k', ...where() });
    expect(hub.requests).toHaveLength(n);
    expect(await fetchPretrained('hrnet_w18_small', where())).toBe(join(cacheDir, 'timm', 'hrnet_w18_small.ms_in1k', 'model.safetensors'));
    expectPublished(model, ['conv1.weight', 'final_layer.0.weight']);
    expect(model.getLayer('classifier').getWeights()[0].shape).toEqual([2048, 5]);
    // a published tag that the hub does not have (here: a preset the test hub does not serve)
    await expect(loadPretrained(model, 'hrnet_w18_small_v2', where())).rejects.toThrow(/^pretrained weights hrnet_w18_small_v2\.ms_in1k: \S+ answered HTTP 404/);
    model.dispose();
  });

  it('tags from timm; a wrong tag, a preset without weights and families on no hub say so before building anything', async () => {
    expect(TIMM_PRETRAINED_TAGS.hrnet_w18).toEqual(['ms_aug_in1k', 'ms_in1k']);
    const before = tf.memory().numTensors;
    expect(() => createModel('hrnet_w18_small', { pretrained: 'in22k', ...where() })).toThrow("hrnet_w18_small: no pretrained tag 'in22k'; timm publishes 'ms_in1k'");
    expect(() => createModel('higherhrnet_w32_512', { pretrained: true })).toThrow(/^higherhrnet_w32_512: no published weights on a hub to download \(family 'higher-hrnet'\); the official checkpoints .* naming: 'higherhrnet'/);
    expect(() => createModel('hrnetv2_w48_cityscapes', { pretrained: true })).toThrow(/no published weights on a hub .*naming: 'hrnet-seg'/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
