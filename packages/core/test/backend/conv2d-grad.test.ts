import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setConv2dBackpropFilterStrategy } from '../../src/backend/conv2d-backprop-filter.js';
import { gradsOn, relErr, seeded, setupBackends, TOL, wasmVsCpu, WorstError } from './grad-check.js';
import { CONV_TRANSPOSE_CASES } from '../../../../test-utils/grad-check.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const worst = new WorstError();
beforeAll(setupBackends);
afterAll(() => console.log(`conv2d gradients: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

const explicit: Pad = [[0, 0], [1, 0], [0, 2], [0, 0]];
// [N, H, W]: odd non-square with batch 1, even with batch 2, odd with batch 2.
const SHAPES: [number, number, number][] = [[1, 7, 9], [2, 8, 8], [2, 5, 6]];

// Conv2DBackpropFilter has two formulations picked per shape; the grid runs under each of them.
describe.each(['im2col-dy', 'im2col-cols', 'dilated'] as const)('conv2d gradients on wasm match cpu (dx and dW), filter gradient via %s', (strategy) => {
  beforeAll(() => setConv2dBackpropFilterStrategy(strategy));
  afterAll(() => setConv2dBackpropFilterStrategy('auto'));
  for (const k of [1, 3, 5, 4]) {
    for (const s of [1, 2]) {
      const pads: Pad[] = ['same', 'valid', Math.floor(k / 2), explicit];
      it(`${k}x${k} stride ${s}, pads same/valid/${Math.floor(k / 2)}/explicit, shapes ${SHAPES.map((x) => x.join('x')).join(' ')}`, async () => {
        for (const pad of pads) {
          for (const [n, h, w] of SHAPES) {
            if (pad === 'valid' && (h < k || w < k)) continue;
            const ci = 3;
            const co = 5;
            const err = await wasmVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad as never), [
              { shape: [n, h, w, ci] },
              { shape: [k, k, ci, co] },
            ]);
            expect(worst.note(err, `conv ${k}x${k} s${s} pad ${JSON.stringify(pad)} ${n}x${h}x${w} ${strategy}`), JSON.stringify({ k, s, pad, n, h, w })).toBeLessThan(TOL);
          }
        }
      });
    }
  }

  it('wider channels (1x1 GEMM path and 3x3), batch 3', async () => {
    for (const [k, s] of [[1, 1], [3, 1], [3, 2], [1, 2]]) {
      const err = await wasmVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, k === 1 ? 0 : 1), [
        { shape: [3, 10, 12, 16] },
        { shape: [k, k, 16, 24] },
      ]);
      expect(worst.note(err, `conv ${k}x${k} s${s} 16->24`)).toBeLessThan(TOL);
    }
  });

});

describe('conv2d variants on wasm match cpu', () => {
  it('fused conv2d with bias + relu (stride 1 and 2, numeric padding as the Conv2d layer uses)', async () => {
    for (const s of [1, 2]) {
      for (const [n, h, w] of [[2, 9, 8], [1, 6, 11]]) {
        const err = await wasmVsCpu(
          (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: s, pad: 1, bias: b, activation: 'relu' }),
          [{ shape: [n, h, w, 4] }, { shape: [3, 3, 4, 6] }, { shape: [6] }],
        );
        expect(worst.note(err, `fused conv s${s} ${n}x${h}x${w}`)).toBeLessThan(TOL);
      }
    }
  });

  it('conv2dTranspose 3x3 and 4x4 stride 2 (forward uses Conv2DBackpropInput)', async () => {
    for (const [k, pad, outHW] of CONV_TRANSPOSE_CASES) {
      const err = await wasmVsCpu(
        (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, outHW[0], outHW[1], 3], 2, pad),
        [{ shape: [2, 5, 6, 4] }, { shape: [k, k, 3, 4] }],
      );
      expect(worst.note(err, `conv2dTranspose ${k}x${k} ${pad}`)).toBeLessThan(TOL);
    }
  });

  it('kernels called directly: NCHW data format, dimRoundingMode, pad larger than the kernel', async () => {
    const run = async (backend: string, name: string, inputs: Record<string, tf.Tensor>, attrs: object) => {
      await tf.setBackend(backend);
      const moved = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.dataSync(), v.shape)]));
      const out = tf.engine().runKernel(name, moved, attrs as never) as tf.Tensor;
      const data = out.dataSync().slice();
      tf.dispose([out, ...Object.values(moved)]);
      return data;
    };
    const cases: { name: string; inputs: Record<string, number[]>; attrs: object }[] = [
      // NCHW: x [2, 3, 7, 6], dy for a 3x3 stride-2 'same' conv to 5 channels.
      { name: 'Conv2DBackpropFilter', inputs: { x: [2, 3, 7, 6], dy: [2, 5, 4, 3] }, attrs: { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 5] } },
      { name: 'Conv2DBackpropInput', inputs: { dy: [2, 5, 4, 3], filter: [3, 3, 3, 5] }, attrs: { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 6] } },
      // numeric pad with rounding: (8 + 2 - 3) / 2 + 1 = 4.5 -> ceil 5.
      { name: 'Conv2DBackpropFilter', inputs: { x: [1, 8, 8, 2], dy: [1, 5, 5, 3] }, attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] } },
      { name: 'Conv2DBackpropInput', inputs: { dy: [1, 5, 5, 3], filter: [3, 3, 2, 3] }, attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil', dataFormat: 'NHWC', inputShape: [1, 8, 8, 2] } },
      // padding 3 around a 3x3 kernel: rows of dy that only saw padding.
      { name: 'Conv2DBackpropFilter', inputs: { x: [2, 5, 4, 2], dy: [2, 9, 8, 3] }, attrs: { strides: 1, pad: 3, dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] } },
      { name: 'Conv2DBackpropInput', inputs: { dy: [2, 9, 8, 3], filter: [3, 3, 2, 3] }, attrs: { strides: 1, pad: 3, dataFormat: 'NHWC', inputShape: [2, 5, 4, 2] } },
      { name: 'Conv2DBackpropInput', inputs: { dy: [2, 4, 3, 3], filter: [1, 1, 2, 3] }, attrs: { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: [2, 7, 6, 2] } },
      { name: 'Conv2DBackpropInput', inputs: { dy: [1, 3, 3, 2], filter: [1, 1, 2, 2] }, attrs: { strides: 3, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 8, 9, 2] } },
    ];
    for (const [i, c] of cases.entries()) {
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, shape], j) => [k, tf.tensor(seeded(shape.reduce((a: number, b: number) => a * b, 1), 10 * i + j), shape)]));
      const w = await run('wasm', c.name, inputs, c.attrs);
      const r = await run('cpu', c.name, inputs, c.attrs);
      tf.dispose(Object.values(inputs));
      expect(worst.note(relErr(w, r), `${c.name} ${JSON.stringify(c.attrs)}`), `${c.name} ${JSON.stringify(c.attrs)}`).toBeLessThan(TOL);
    }
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    await gradsOn('wasm', (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'), [{ shape: [2, 9, 9, 3] }, { shape: [3, 3, 3, 4] }]);
    await tf.setBackend('wasm');
    expect(tf.memory().numTensors).toBe(before);
  });
});
