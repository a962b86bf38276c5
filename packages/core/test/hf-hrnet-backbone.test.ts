import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HF_HRNET_VARIANTS, countMacs, createBackbone, exportPytorchStateDict, initBackend, loadPytorchWeights, parseHfHrnetConfig, readSafetensors,
} from '../src/index.js';
import { loadFixtureTensor, maxRelativeError, readManifest } from '../src/testing/index.js';
import { PyDict, stateDict, tensor, torchSave, type TorchTensor } from '../../../test-utils/torch-zip-writer.js';

const dir = fileURLToPath(new URL('../../../fixtures/hf-hrnet/', import.meta.url));
const json = (file: string) => JSON.parse(readFileSync(`${dir}${file}`, 'utf8'));
const tinyConfig = json('hf_hrnet_tiny.config.json');
const TINY = tinyConfig.extra;
const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('HF-HRNet variants', () => {
  it('are the official COCO configs’ `extra` dicts', () => {
    expect(HF_HRNET_VARIANTS.hf_hrnet_18).toEqual(tinyConfig.reference_configs['HF-HRNet-18']);
    expect(HF_HRNET_VARIANTS.hf_hrnet_30).toEqual(tinyConfig.reference_configs['HF-HRNet-30']);
  });

  it.each([['hf_hrnet_18', 'HF-HRNet-18'], ['hf_hrnet_30', 'HF-HRNet-30']])('%s has exactly the official backbone parameter count and conv MACs', (name, key) => {
    const model = createBackbone(name, { inputShape: [256, 192, 3] });
    try {
      const ref = json('param-counts.json').models[key];
      expect(size(model.trainableWeights)).toBe(ref.backbone_params);
      // The reference rounds to 4 decimals (GMACs); the fuse paths applied twice count twice, as there.
      expect(countMacs(model) / 1e9).toBeCloseTo(ref.backbone_gmacs_256x192_conv_only, 4);
      expect(model.outputs.map((o) => o.shape)).toEqual([[null, 64, 48, 48]]);
    } finally {
      model.dispose();
    }
  });

  it('hf_hrnet_18 has every state-dict key and shape of the official backbone, and no other', () => {
    const model = createBackbone('hf_hrnet_18');
    try {
      const ours = Object.fromEntries(Object.entries(exportPytorchStateDict(model, { naming: 'hf-hrnet' })).map(([k, t]) => [k, t.shape]));
      const official = Object.fromEntries(
        Object.entries(json('hf_hrnet18.state-dict-shapes.json') as Record<string, number[]>).filter(([k]) => !k.endsWith('num_batches_tracked')),
      );
      expect(ours).toEqual(official);
    } finally {
      model.dispose();
    }
  });
});

describe('createBackbone with an HF-HRNet cfg', () => {
  const model = createBackbone(TINY);
  afterAll(() => model.dispose());

  it('maps an NHWC image to the 1/4 IterativeHead map, any size divisible by 64, non-square too', () => {
    const shapes = tf.tidy(() => [[1, 64, 64], [2, 128, 192]].map(([n, h, w]) => (model.predict(tf.zeros([n, h, w, 3])) as tf.Tensor).shape));
    expect(shapes).toEqual([[1, 16, 16, 16], [2, 32, 48, 16]]);
  });

  it('rejects a size the architecture cannot take, naming it, at build time or at call time', () => {
    expect(() => createBackbone('hf_hrnet_18', { inputShape: [384, 288, 3] })).toThrow(
      'HF-HRNet input size 384x288 (HxW): H and W must be multiples of 64',
    );
    expect(() => createBackbone(TINY, { inputShape: [null, 96, 3] })).toThrow(/input size anyx96 \(HxW\): H and W must be multiples of 64/);
    expect(() => model.predict(tf.zeros([1, 96, 64, 3]))).toThrow(
      /expected an NHWC float32 image batch \[N, H, W, 3\] with H and W multiples of 64, got shape \[1, 96, 64, 3\]/,
    );
  });

  it('keeps tf.memory flat across inference and a training step', () => {
    const x = tf.randomNormal([2, 64, 64, 3]);
    const run = () => tf.tidy(() => {
      model.predict(x);
      tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    });
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('round-trips through the tfjs model format with its custom layers', async () => {
    const x = tf.randomNormal([1, 64, 64, 3]);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor))).dataSync()[0]);
    expect(diff).toBe(0);
    loaded.dispose();
    x.dispose();
  });

  it('returns the last stage’s branch 0 without the head, and builds without fuse layers', () => {
    const noHead = createBackbone({ ...TINY, with_head: false });
    const noFuse = createBackbone({ ...TINY, stages_spec: { ...TINY.stages_spec, with_fuse: [false, false, false] } });
    try {
      expect(noHead.outputs[0].shape).toEqual([null, null, null, 16]);
      expect(noHead.layers.some((l) => l.name.startsWith('head_layer'))).toBe(false);
      expect(noFuse.layers.some((l) => l.name.includes('fuse_layers'))).toBe(false);
      expect(tf.tidy(() => (noFuse.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor).shape)).toEqual([1, 16, 16, 16]);
    } finally {
      noHead.dispose();
      noFuse.dispose();
    }
  });

  it('applies each fuse path from branch 0 twice, as the official in-place loop does: its BNs update running stats twice in training', async () => {
    const m = createBackbone(TINY);
    await loadPytorchWeights(m, `${dir}hf_hrnet_tiny.safetensors`, { naming: 'hf-hrnet' });
    const x = loadFixtureTensor(dir, readManifest(dir, 'hf_hrnet_tiny.manifest.json').input);
    const bnLayer = m.getLayer('stage0.0.fuse_layers.1.0.0.1');
    expect(bnLayer.inboundNodes.length).toBe(2);
    // The BN's batch mean: its input is dw3×3/2 of the pre-ReLU fused branch 0 (F0), which training-mode BN
    // statistics upstream make the same in every training pass.
    const batchMean = tf.tidy(() => {
      const f0 = tf.model({ inputs: m.inputs, outputs: m.getLayer('stage0.0.fuse_sum.0').output as tf.SymbolicTensor }).apply(x, { training: true }) as tf.Tensor4D;
      const kernel = m.getLayer('stage0.0.fuse_layers.1.0.0.0').getWeights()[0] as tf.Tensor4D;
      return tf.mean(tf.depthwiseConv2d(f0, kernel, 2, 1 as never), [0, 1, 2]).dataSync();
    });
    const r0 = bnLayer.getWeights()[2].dataSync().slice();
    tf.tidy(() => { m.apply(x, { training: true }); });
    const r1 = bnLayer.getWeights()[2].dataSync();
    // Two momentum-0.1 updates with the same batch mean b: r1 = 0.81·r0 + 0.19·b.
    const expected = Array.from(r0, (r, c) => 0.81 * r + 0.19 * batchMean[c]);
    Array.from(r1).forEach((v, c) => expect(v).toBeCloseTo(expected[c], 4));
    m.dispose();
    x.dispose();
  });
});

describe("loadPytorchWeights with naming 'hf-hrnet'", () => {
  const manifest = readManifest(dir, 'hf_hrnet_tiny.manifest.json');
  /** The fixture's state dict as an MMPose checkpoint: `{ meta, state_dict: { backbone.*, keypoint_head.* } }`. */
  const mmposeCheckpoint = async (): Promise<Uint8Array> => {
    const { tensors } = await readSafetensors(`${dir}hf_hrnet_tiny.safetensors`);
    const sd: Record<string, TorchTensor> = {};
    for (const [k, t] of Object.entries(tensors)) sd[`backbone.${k}`] = tensor(t.data as Float32Array, t.shape);
    sd['keypoint_head.final_layer.weight'] = tensor(new Float32Array(17 * 16), [17, 16, 1, 1]);
    return torchSave(new PyDict([['meta', new PyDict([['epoch', 210]])], ['state_dict', stateDict(sd)]]));
  };

  it('loads an MMPose checkpoint (`backbone.` prefix) into the bare backbone, reporting the head keys', async () => {
    const model = createBackbone(TINY);
    const bytes = await mmposeCheckpoint();
    await expect(loadPytorchWeights(model, bytes, { naming: 'hf-hrnet', source: 'hf_hrnet_tiny.pth' })).rejects.toThrow(
      /cannot load hf_hrnet_tiny\.pth into model 'hf_hrnet': 1 unexpected[\s\S]*keypoint_head\.final_layer\.weight/,
    );
    const report = await loadPytorchWeights(model, bytes, { naming: 'hf-hrnet', strict: false });
    expect(report.unexpected).toEqual(['keypoint_head.final_layer.weight']);
    expect(report.missing).toEqual([]);
    const err = tf.tidy(() => maxRelativeError(model.predict(loadFixtureTensor(dir, manifest.input)) as tf.Tensor, loadFixtureTensor(dir, manifest.output)));
    expect(err).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe('HF-HRNet cfg validation names the key', () => {
  const base = () => structuredClone(TINY);
  it.each([
    ['an unknown key', (c: any) => { c.stages_spec.num_module = c.stages_spec.num_modules; }, /stages_spec: Unrecognized key: "num_module"/],
    ['a missing key', (c: any) => { delete c.with_head; }, /with_head: /],
    ['a list of the wrong length', (c: any) => { c.stages_spec.reduce_ratios = [8, 8]; }, /stages_spec\.reduce_ratios: needs one entry per stage \(num_stages = 3\), got 2/],
    ['widths that do not match the branches', (c: any) => { c.stages_spec.num_channels[1] = [16, 32]; }, /stages_spec\.num_channels\.1: needs one width per branch \(num_branches\[1\] = 3\), got 2/],
    ['a single-branch stage', (c: any) => { c.stages_spec.num_branches[0] = 1; }, /stages_spec\.num_branches\.0: HF-HRNet stages have at least 2 branches/],
    ['a reduce ratio leaving no channels', (c: any) => { c.stages_spec.reduce_ratios[0] = 64; }, /stages_spec\.reduce_ratios\.0: leaves int\(48 \/ 64\) = 0 channels/],
    ['a bad stem width', (c: any) => { c.stem.out_channels = 0; }, /stem\.out_channels: /],
  ])('%s', (_what, edit, message) => {
    const cfg = base();
    edit(cfg);
    expect(() => parseHfHrnetConfig(cfg)).toThrow(message);
    expect(() => createBackbone(cfg)).toThrow(message);
  });

  it('accepts the official dict without the unused `expand_ratio`', () => {
    const { expand_ratio: _, ...stem } = TINY.stem;
    expect(parseHfHrnetConfig({ ...TINY, stem }).stem).toEqual(stem);
  });
});
