import * as tf from '@tensorflow/tfjs';
import { BatchNorm2d, Conv2d, ConvTranspose2d, exportPytorchStateDict, initBackend, ReLU } from '@hrnet/core';
import { createClassifier } from '@hrnet/heads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, loadPredictor, readOnnxModelInfo } from '../src/index.js';
import { higherHrnetTiny, hrnetClassifierTiny, type FixtureModel } from './fixture-models.js';

// The exported file itself: opset / IR version, names kept from the layers (= PyTorch module paths), one
// initializer per PyTorch state-dict entry plus one scales tensor per nearest upsampling, dynamic batch.
beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe.each([
  ['hrnet-cls tiny', hrnetClassifierTiny],
  ['higherhrnet tiny', higherHrnetTiny],
] as const)('%s ONNX model', (_family, build) => {
  let fx: FixtureModel;
  beforeAll(async () => {
    fx = await build();
  });
  afterAll(() => {
    fx?.model.dispose();
    tf.dispose([fx?.input, ...(fx?.expected ?? [])]);
  });

  it('has the default opset 17 (IR 8), the state dict as initializers and node names from the layers', () => {
    const info = readOnnxModelInfo(exportOnnx(fx.model, { inputLayout: 'NCHW' }), 'export');
    expect(info.opset).toBe(17);
    expect(info.irVersion).toBe(8);
    const upsampling = fx.model.layers.filter((l) => l.getClassName() === 'UpSampling2D').map((l) => `${l.name}.scales`);
    const stateDict = Object.keys(exportPytorchStateDict(fx.model));
    expect(upsampling.length).toBeGreaterThan(0);
    expect(info.initializerNames.sort()).toEqual([...stateDict, ...upsampling].sort());
    // Every layer that computes something is a node of the same name (identity layers are not).
    const computing = fx.model.layers.filter((l) => !['InputLayer', 'ImageInputCheck', 'Dropout'].includes(l.getClassName())).map((l) => l.name);
    expect(computing.filter((n) => !info.nodeNames.includes(n))).toEqual([]);
    // The only other nodes: the flatten after global pooling.
    expect(info.nodeNames.filter((n) => !computing.includes(n))).toEqual(fx.model.layers.filter((l) => l.getClassName() === 'GlobalAveragePooling2D').map((l) => `${l.name}.flatten`));
    expect(info.nodeCount).toBe(info.nodeNames.length);
    expect(info.outputNames).toEqual(fx.model.outputs.map((o) => o.sourceLayer.name));
    expect(info.inputName).toBe(fx.model.inputs[0].sourceLayer.name);
    expect(info.inputShape).toEqual([null, null, null, 3]);
    expect(info.metadata).toEqual({ 'hrnet.input_layout': 'NCHW', 'hrnet.input_divisor': '32' });
  });

  it('NHWC adds exactly one Transpose at the input and one per rank-4 output', () => {
    const nchw = readOnnxModelInfo(exportOnnx(fx.model, { inputLayout: 'NCHW' }), 'nchw');
    const nhwc = readOnnxModelInfo(exportOnnx(fx.model, { inputLayout: 'NHWC' }), 'nhwc');
    const rank4Outputs = fx.model.outputs.filter((o) => o.shape.length === 4).length;
    expect(nhwc.nodeCount - nchw.nodeCount).toBe(1 + rank4Outputs);
    expect(nhwc.nodeNames.filter((n) => n.endsWith('.to_nchw') || n.endsWith('.to_nhwc'))).toHaveLength(1 + rank4Outputs);
    expect(nhwc.outputNames).toEqual(nchw.outputNames);
  });

  it('every opset 13-21 carries the oldest IR version that has it and runs on onnxruntime with the same outputs', async () => {
    const ir: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };
    const reference = await loadPredictor(fx.model, { runtime: 'onnx' });
    const want = await reference.predict(fx.input);
    await reference.dispose();
    for (const [opset, irVersion] of Object.entries(ir).map(([o, v]) => [Number(o), v])) {
      const bytes = exportOnnx(fx.model, { inputLayout: 'NHWC', opset });
      const info = readOnnxModelInfo(bytes, `opset ${opset}`);
      expect([info.opset, info.irVersion]).toEqual([opset, irVersion]);
      const p = await loadPredictor(bytes);
      const ys = await p.predict(fx.input);
      expect(ys.map((y) => y.shape)).toEqual(fx.expected.map((e) => e.shape));
      ys.forEach((y, i) => expect(y.data).toEqual(want[i].data));
      await p.dispose();
    }
  });
});

describe('a layer applied twice', () => {
  it('becomes two nodes sharing one set of initializers, equal to tfjs on onnxruntime', async () => {
    const input = tf.input({ shape: [16, 16, 4], name: 'image' });
    const conv = new Conv2d({ name: 'shared', filters: 4, kernelSize: 3, useBias: true });
    const twice = conv.apply(conv.apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: twice });
    const bytes = exportOnnx(model, { inputLayout: 'NHWC' });
    const info = readOnnxModelInfo(bytes, 'shared');
    expect(info.nodeNames).toEqual(['image.to_nchw', 'shared', 'shared_1', 'shared_1.to_nhwc']);
    expect(info.initializerNames).toEqual(['shared.weight', 'shared.bias']);
    const p = await loadPredictor(bytes);
    const x = tf.randomNormal([2, 16, 16, 4], 0, 1, 'float32', 3);
    const [y] = await p.predict(x);
    const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    y.data.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-4 * Math.max(1, ...want.map(Math.abs))));
    await p.dispose();
    x.dispose();
    model.dispose();
  });
});

describe('the converters the two families leave untested', () => {
  // Depthwise conv and transposed conv with bias, two pooled branches concatenated (rank 2), dropout, a dense
  // layer without bias, and two outputs of which one is rank 4; random weights everywhere (BN variances > 0).
  it.each(['NCHW', 'NHWC'] as const)('%s: onnxruntime equals tfjs', async (inputLayout) => {
    const input = tf.input({ shape: [16, 16, 4], name: 'image' });
    const dw = new Conv2d({ name: 'dw', filters: 4, kernelSize: 3, depthwise: true, useBias: true }).apply(input) as tf.SymbolicTensor;
    const up = new ConvTranspose2d({ name: 'up', filters: 6, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, useBias: true }).apply(dw) as tf.SymbolicTensor;
    const act = new ReLU({ name: 'act' }).apply(new BatchNorm2d({ name: 'bn' }).apply(up)) as tf.SymbolicTensor;
    const pool = (x: tf.SymbolicTensor, name: string) => tf.layers.globalAveragePooling2d({ name }).apply(x) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([pool(act, 'pool_up'), pool(dw, 'pool_dw')]) as tf.SymbolicTensor;
    const dropped = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(cat) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: 3, useBias: false, name: 'fc' }).apply(dropped) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [logits, act] });
    tf.tidy(() => {
      for (const w of model.weights) {
        const v = tf.randomUniform(w.shape as number[], -1, 1, 'float32', w.shape.length);
        w.write(w.name.includes('moving_variance') ? tf.add(tf.abs(v), 0.5) : v);
      }
    });
    const info = readOnnxModelInfo(exportOnnx(model, { inputLayout }), 'zoo');
    expect(info.outputNames).toEqual(['fc', 'act']);
    expect(info.nodeNames).not.toContain('drop');
    const [onnx, tfjs] = [await loadPredictor(model, { runtime: 'onnx' }), await loadPredictor(model)];
    const x = tf.randomNormal([2, 16, 16, 4], 0, 1, 'float32', 5);
    const [got, want] = [await onnx.predict(x), await tfjs.predict(x)];
    expect(got.map((o) => [o.name, o.shape])).toEqual([['fc', [2, 3]], ['act', [2, 32, 32, 6]]]);
    got.forEach((o, i) => {
      const scale = Math.max(1, ...want[i].data.map(Math.abs));
      o.data.forEach((v, j) => expect(Math.abs(v - want[i].data[j])).toBeLessThan(1e-4 * scale));
    });
    await Promise.all([onnx.dispose(), tfjs.dispose()]);
    x.dispose();
    model.dispose();
  });
});

describe('export errors', () => {
  it('an unsupported layer names the layer and its class', () => {
    const input = tf.input({ shape: [32, 32, 3], name: 'image' });
    const pooled = tf.layers.maxPooling2d({ poolSize: 2, name: 'stem_pool' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: pooled });
    expect(() => exportOnnx(model, { inputLayout: 'NHWC' })).toThrow(/^exportOnnx: layer 'stem_pool' \(MaxPooling2D\) has no ONNX conversion; supported: Conv2d, /);
    model.dispose();
  });

  it('a supported class with an unsupported setting names the layer, its class and the setting', () => {
    const input = tf.input({ shape: [32, 32, 3], name: 'image' });
    const act = tf.layers.activation({ activation: 'softplus', name: 'head.act' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: act });
    expect(() => exportOnnx(model, { inputLayout: 'NHWC' })).toThrow(/^exportOnnx: layer 'head.act' \(Activation\) has activation 'softplus'; supported: linear, relu, sigmoid, tanh$/);
    model.dispose();
  });

  it('a bad option names the key', () => {
    const model = createClassifier('hrnet_w18_small', { numClasses: 2 });
    expect(() => exportOnnx(model, { inputLayout: 'NWHC' as never })).toThrow(/exportOnnx options: .*inputLayout/);
    expect(() => exportOnnx(model, { inputLayout: 'NHWC', opset: 11 })).toThrow(/exportOnnx options: .*opset/);
    model.dispose();
  });
});
