import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackbone } from '../../src/backbones/registry.js';
import { BatchNorm2d } from '../../src/layers/batch-norm-2d.js';
import { Conv2d } from '../../src/layers/conv2d.js';
import { WeightLoadError, exportPytorchStateDict, loadPytorchWeights } from '../../src/weights/load-pytorch-weights.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import { PyDict, stateDict, tensor, torchSave, torchSaveFloat32 } from '../../../../test-utils/torch-zip-writer.js';
import { OTHER_CFG, TINY_CFG, maxAbsDiff, predictAll, pseudoRandom, randomizeWeights, snapshot } from '../../../../test-utils/weights-test-utils.js';

const FIXTURE = fileURLToPath(new URL('../../../../fixtures/hrnet-cls/tiny.safetensors', import.meta.url));

describe('loadPytorchWeights / exportPytorchStateDict', () => {
  let source: tf.LayersModel;
  let sd: ReturnType<typeof exportPytorchStateDict>;
  let input: tf.Tensor4D;
  let expected: Float32Array[];

  beforeAll(() => {
    source = createBackbone(TINY_CFG);
    randomizeWeights(source, 3);
    sd = exportPytorchStateDict(source);
    input = tf.tensor4d(pseudoRandom(2 * 64 * 64 * 3, 11), [2, 64, 64, 3]);
    expected = predictAll(source, input);
  });
  afterAll(() => {
    source.dispose();
    input.dispose();
  });

  it('exports every parameter in PyTorch layout and names', () => {
    expect(sd['conv1.weight'].shape).toEqual([64, 3, 3, 3]);
    expect(sd['bn1.running_var'].shape).toEqual([64]);
    expect(sd['layer1.0.downsample.0.weight'].shape).toEqual([32, 64, 1, 1]);
    expect(sd['stage4.0.fuse_layers.0.3.0.weight'].shape).toEqual([8, 64, 1, 1]);
    const kernel = source.getLayer('conv1').weights[0].read().arraySync() as number[][][][];
    const w = sd['conv1.weight'];
    for (const [o, i, h, x] of [[0, 0, 0, 0], [5, 2, 1, 0], [63, 1, 2, 2]]) {
      expect(w.data[((o * 3 + i) * 3 + h) * 3 + x]).toBe(Math.fround(kernel[h][x][i][o]));
    }
    expect(Object.keys(sd).some((k) => k.endsWith('num_batches_tracked'))).toBe(false);
  });

  it('safetensors export → load into a fresh model gives identical outputs', async () => {
    const fresh = createBackbone(TINY_CFG);
    const report = await loadPytorchWeights(fresh, writeSafetensors(sd), { source: 'tiny-export.safetensors' });
    expect(report.format).toBe('safetensors');
    expect(report.loaded).toHaveLength(Object.keys(sd).length);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    predictAll(fresh, input).forEach((y, i) => expect(maxAbsDiff(y, expected[i])).toBe(0));
    fresh.dispose();
  });

  it('torch zip with {state_dict: …}, module. prefix and num_batches_tracked → identical outputs', async () => {
    const entries = Object.entries(sd).flatMap(([k, t]) => {
      const out: Array<[string, ReturnType<typeof tensor>]> = [[`module.${k}`, tensor(t.data, t.shape)]];
      if (k.endsWith('running_var')) out.push([`module.${k.replace('running_var', 'num_batches_tracked')}`, tensor([100], [], 'int64')]);
      return out;
    });
    const bytes = torchSave(new PyDict([['state_dict', stateDict(Object.fromEntries(entries))], ['epoch', 10]]));
    const dir = mkdtempSync(join(tmpdir(), 'load-'));
    const file = join(dir, 'tiny.pth');
    writeFileSync(file, bytes);
    const fresh = createBackbone(TINY_CFG);
    const report = await loadPytorchWeights(fresh, file, { naming: 'timm' });
    expect(report).toMatchObject({ source: file, format: 'pytorch', missing: [], unexpected: [] });
    expect(report.ignored.length).toBeGreaterThan(10);
    expect(report.ignored.every((k) => k.endsWith('num_batches_tracked'))).toBe(true);
    predictAll(fresh, input).forEach((y, i) => expect(maxAbsDiff(y, expected[i])).toBe(0));
    fresh.dispose();
  });

  it('a checkpoint of another architecture: one error listing missing, unexpected and mismatched keys; nothing assigned', async () => {
    const other = createBackbone(OTHER_CFG);
    const otherBytes = torchSaveFloat32(exportPytorchStateDict(other));
    other.dispose();
    const target = createBackbone(TINY_CFG);
    const before = snapshot(target);
    let err: WeightLoadError | undefined;
    try {
      await loadPytorchWeights(target, otherBytes, { source: 'other-arch.pth' });
    } catch (e) {
      err = e as WeightLoadError;
    }
    expect(err).toBeInstanceOf(WeightLoadError);
    const msg = err!.message;
    expect(msg).toMatch(/^cannot load other-arch\.pth into model 'hrnet': \d+ unexpected, \d+ shape mismatches \(nothing was assigned/);
    // stage3 branch 0 has an extra block in the checkpoint
    expect(err!.unexpected).toContain('stage3.0.branches.0.1.conv1.weight');
    expect(msg).toContain('    stage3.0.branches.0.1.conv1.weight\n');
    // stage4 branch 3 is 48 wide there, 64 here
    expect(err!.mismatched).toContainEqual({ key: 'stage4.0.branches.3.0.conv1.weight', checkpoint: [48, 48, 3, 3], model: [64, 64, 3, 3] });
    expect(msg).toContain('stage4.0.branches.3.0.conv1.weight: checkpoint [48, 48, 3, 3] vs model [64, 64, 3, 3]');
    expect(err!.missing).toEqual([]);
    // the missing side: a model with more blocks than the checkpoint
    const bigger = createBackbone(OTHER_CFG);
    const err2 = await loadPytorchWeights(bigger, writeSafetensors(sd), { source: 'tiny.safetensors' }).catch((e: WeightLoadError) => e);
    expect(err2).toBeInstanceOf(WeightLoadError);
    expect((err2 as WeightLoadError).missing).toContain('stage3.0.branches.0.1.bn2.running_var');
    expect((err2 as WeightLoadError).message).toMatch(/missing keys \(in the model, not in the checkpoint\):\n {4}stage3\.0\.branches\.0\.1\.conv1\.weight \[8, 8, 3, 3\]/);
    expect((err2 as WeightLoadError).message).toContain('tiny.safetensors');
    // strict: false still refuses shape mismatches, and still assigns nothing
    await expect(loadPytorchWeights(target, otherBytes, { strict: false, source: 'other-arch.pth' })).rejects.toThrow(/shape mismatches/);
    snapshot(target).forEach((w, i) => expect(maxAbsDiff(w, before[i])).toBe(0));
    bigger.dispose();
    target.dispose();
  });

  it('strict: false reports missing and unexpected keys instead of throwing', async () => {
    const partial = Object.fromEntries(Object.entries(sd).filter(([k]) => !k.startsWith('stage4.0.fuse_layers')));
    const extra = { ...partial, 'head.fc.weight': { shape: [2, 2], data: new Float32Array(4) } };
    const fresh = createBackbone(TINY_CFG);
    const report = await loadPytorchWeights(fresh, writeSafetensors(extra), { strict: false });
    expect(report.unexpected).toEqual(['head.fc.weight']);
    expect(report.missing.length).toBeGreaterThan(0);
    expect(report.missing.every((k) => k.startsWith('stage4.0.fuse_layers'))).toBe(true);
    expect(report.loaded).toHaveLength(Object.keys(partial).length);
    const conv1 = fresh.getLayer('conv1').weights[0].read().dataSync();
    expect(maxAbsDiff(conv1, source.getLayer('conv1').weights[0].read().dataSync())).toBe(0);
    fresh.dispose();
  });

  it('loads the real timm fixture: every backbone key is found (head keys unexpected)', async () => {
    const fresh = createBackbone(TINY_CFG);
    const report = await loadPytorchWeights(fresh, FIXTURE, { strict: false });
    expect(report.missing).toEqual([]);
    expect(report.loaded).toHaveLength(Object.keys(sd).length);
    expect(report.unexpected.length).toBeGreaterThan(0);
    expect(report.unexpected.every((k) => /^(incre_modules|downsamp_modules|final_layer|classifier)\./.test(k))).toBe(true);
    await expect(loadPytorchWeights(fresh, FIXTURE)).rejects.toThrow(/tiny\.safetensors.*unexpected/);
    fresh.dispose();
  });

  it('custom naming functions and unknown formats', async () => {
    const prefixed = Object.fromEntries(Object.entries(sd).map(([k, t]) => [`backbone.${k}`, t]));
    const fresh = createBackbone(TINY_CFG);
    const report = await loadPytorchWeights(fresh, writeSafetensors(prefixed), { naming: (layer, param) => `backbone.${layer}.${param}` });
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    predictAll(fresh, input).forEach((y, i) => expect(maxAbsDiff(y, expected[i])).toBe(0));
    await expect(loadPytorchWeights(fresh, writeSafetensors(sd), { naming: 'nope' })).rejects.toThrow(/unknown naming 'nope'; valid: hf-hrnet, higherhrnet, timm/);

    const dir = mkdtempSync(join(tmpdir(), 'fmt-'));
    const junk = join(dir, 'random.pth');
    writeFileSync(junk, pseudoRandom(256, 5).map((x) => x * 1000));
    await expect(loadPytorchWeights(fresh, junk)).rejects.toThrow(new RegExp(`${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unrecognised weights format`));
    const st = writeSafetensors(sd);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, st.subarray(0, st.length >> 1));
    await expect(loadPytorchWeights(fresh, cut)).rejects.toThrow(/cut\.safetensors: not a valid safetensors file: .*truncated/);
    writeFileSync(join(dir, 'legacy.pt'), Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]));
    await expect(loadPytorchWeights(fresh, join(dir, 'legacy.pt'))).rejects.toThrow(/legacy\.pt: legacy \(pre-1\.6/);
    fresh.dispose();
  });
});

describe('layout conversion of each layer kind', () => {
  it('Conv2d OIHW → HWIO, depthwise [C,1,k,k] → [k,k,C,1], Linear [out,in] → [in,out], BN buffers', async () => {
    const x = tf.input({ shape: [5, 5, 3] });
    let y = new Conv2d({ name: 'c', filters: 4, kernelSize: 3, useBias: true }).apply(x) as tf.SymbolicTensor;
    y = new BatchNorm2d({ name: 'bn' }).apply(y) as tf.SymbolicTensor;
    y = new Conv2d({ name: 'dw', filters: 4, kernelSize: 3, depthwise: true }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.dense({ units: 2, name: 'fc' }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y, name: 'small' });
    const ar = (n: number, seed: number) => pseudoRandom(n, seed);
    const torchSd = {
      'c.weight': { shape: [4, 3, 3, 3], data: ar(108, 1) },
      'c.bias': { shape: [4], data: ar(4, 2) },
      'bn.weight': { shape: [4], data: ar(4, 3) },
      'bn.bias': { shape: [4], data: ar(4, 4) },
      'bn.running_mean': { shape: [4], data: ar(4, 5) },
      'bn.running_var': { shape: [4], data: pseudoRandom(4, 6, 0.5, 1) },
      'dw.weight': { shape: [4, 1, 3, 3], data: ar(36, 7) },
      'fc.weight': { shape: [2, 4], data: ar(8, 8) },
      'fc.bias': { shape: [2], data: ar(2, 9) },
    };
    const report = await loadPytorchWeights(model, torchSaveFloat32(torchSd), { source: 'small.pth' });
    expect(report.loaded.sort()).toEqual(Object.keys(torchSd).sort());
    const val = (layer: string, i: number) => model.getLayer(layer).weights[i].read().arraySync() as never;
    const c = val('c', 0) as number[][][][];
    for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) {
      expect(c[h][w][i][o]).toBe(torchSd['c.weight'].data[((o * 3 + i) * 3 + h) * 3 + w]);
    }
    const dw = val('dw', 0) as number[][][][];
    for (let ch = 0; ch < 4; ch++) for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) {
      expect(dw[h][w][ch][0]).toBe(torchSd['dw.weight'].data[(ch * 3 + h) * 3 + w]);
    }
    const fc = val('fc', 0) as number[][];
    for (let o = 0; o < 2; o++) for (let i = 0; i < 4; i++) expect(fc[i][o]).toBe(torchSd['fc.weight'].data[o * 4 + i]);
    expect(Array.from(model.getLayer('bn').weights[3].read().dataSync())).toEqual(Array.from(torchSd['bn.running_var'].data));
    // and back: the export is the checkpoint
    const back = exportPytorchStateDict(model);
    for (const [k, t] of Object.entries(torchSd)) {
      expect(back[k].shape).toEqual(t.shape);
      expect(back[k].data).toEqual(t.data);
    }
    model.dispose();
  });
});
