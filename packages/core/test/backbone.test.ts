import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackbone } from '../src/index.js';
import { TINY } from './helpers/tiny-config.js';


describe('createBackbone', () => {
  const model = createBackbone(TINY);
  afterAll(() => model.dispose());

  it('returns the four branches at 1/4 … 1/32 of any input divisible by 32, non-square too', () => {
    const outs = tf.tidy(() => (model.predict(tf.zeros([2, 64, 96, 3])) as tf.Tensor[]).map((t) => t.shape));
    expect(outs).toEqual([[2, 16, 24, 8], [2, 8, 12, 16], [2, 4, 6, 32], [2, 2, 3, 64]]);
  });

  it('names layers after the PyTorch module paths', () => {
    const names = model.layers.map((l) => l.name);
    for (const n of ['conv1', 'bn2', 'layer1.0.downsample.0', 'transition1.0.0', 'transition1.1.0.0',
      'transition3.3.0.1', 'stage2.0.branches.1.0.conv2', 'stage4.0.fuse_layers.0.3.0', 'stage4.0.fuse_layers.3.0.2.0']) {
      expect(names).toContain(n);
    }
  });

  it('rejects a wrong input rank, channel count or size with a clear message', () => {
    const msg = /expected an NHWC float32 image batch \[N, H, W, 3\] with H and W multiples of 32, got shape \[1, 64, 60, 3\]/;
    expect(() => model.apply(tf.zeros([1, 64, 60, 3]))).toThrow(msg);
    expect(() => model.predict(tf.zeros([1, 64, 64, 4]))).toThrow(/image.*3|4/);
    expect(() => model.predict(tf.zeros([64, 64, 3]))).toThrow(/image/);
  });

  it('round-trips through the tfjs model format with its custom layers', async () => {
    const x = tf.randomNormal([1, 64, 64, 3]);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const [a, b] = [model.predict(x) as tf.Tensor[], loaded.predict(x) as tf.Tensor[]];
    for (let i = 0; i < 4; i++) expect(tf.max(tf.abs(tf.sub(a[i], b[i]))).dataSync()[0]).toBe(0);
    loaded.dispose();
  });

  it('updates BN running statistics only in training mode', () => {
    const bn1 = model.getLayer('bn1');
    const before = bn1.getWeights()[2].dataSync().slice();
    tf.tidy(() => { model.apply(tf.randomNormal([2, 32, 32, 3]), { training: false }); });
    expect(Array.from(bn1.getWeights()[2].dataSync())).toEqual(Array.from(before));
    tf.tidy(() => { model.apply(tf.randomNormal([2, 32, 32, 3]), { training: true }); });
    expect(Array.from(bn1.getWeights()[2].dataSync())).not.toEqual(Array.from(before));
  });
});
