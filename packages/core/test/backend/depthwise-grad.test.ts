import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seeded, setupBackends, TOL, wasmVsCpu, WorstError } from './grad-check.js';

const worst = new WorstError();
beforeAll(setupBackends);
afterAll(() => console.log(`depthwise gradients: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

describe('depthwiseConv2d gradients on wasm match cpu (dx and dW)', () => {
  for (const k of [3, 5, 1]) {
    for (const s of [1, 2]) {
      for (const m of [1, 2]) {
        it(`${k}x${k} stride ${s} multiplier ${m}, pads same/valid/${Math.floor(k / 2)}, odd and even sizes`, async () => {
          for (const pad of ['same', 'valid', Math.floor(k / 2)] as const) {
            for (const [n, h, w] of [[1, 7, 9], [2, 8, 6]]) {
              const err = await wasmVsCpu(
                (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad as never),
                [{ shape: [n, h, w, 4] }, { shape: [k, k, 4, m] }],
              );
              expect(worst.note(err, `dw ${k}x${k} s${s} m${m} ${pad} ${n}x${h}x${w}`), JSON.stringify({ k, s, m, pad, n, h, w })).toBeLessThan(TOL);
            }
          }
        });
      }
    }
  }

  // The cpu backend's depthwise backprop kernels ignore dilations, so dilated cases are checked by adjointness:
  // <conv(x, w), dy> = <x, dx(dy)> = <w, dw(x, dy)>, with the forward conv computed by the shipped wasm kernel.
  it('dilated kernels called directly (stride 1 dilation 2/3, stride 2 dilation 2): adjoint check', async () => {
    await tf.setBackend('wasm');
    for (const m of [1, 2]) {
      for (const attrs of [
        { strides: 1, pad: 'same', dilations: 2 },
        { strides: 1, pad: 'valid', dilations: 2 },
        { strides: 1, pad: 1, dilations: 3 },
        { strides: 2, pad: 'valid', dilations: 2 },
      ]) {
        const x = tf.tensor(seeded(2 * 11 * 10 * 3, 1), [2, 11, 10, 3]);
        const f = tf.tensor(seeded(9 * 3 * m, 2), [3, 3, 3, m]);
        const y = tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: f }, attrs as never) as tf.Tensor;
        const dy = tf.tensor(seeded(y.size, 3), y.shape);
        const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: x.shape } as never) as tf.Tensor;
        const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: f.shape } as never) as tf.Tensor;
        const dot = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0]);
        const scale = tf.tidy(() => tf.sum(tf.abs(tf.mul(y, dy))).dataSync()[0]);
        const lhs = dot(y, dy);
        const errX = Math.abs(lhs - dot(x, dx)) / scale;
        const errW = Math.abs(lhs - dot(f, dw)) / scale;
        tf.dispose([x, f, y, dy, dx, dw]);
        const where = `dw adjoint m${m} ${JSON.stringify(attrs)}`;
        expect(worst.note(errX, where), where).toBeLessThan(TOL);
        expect(worst.note(errW, where), where).toBeLessThan(TOL);
      }
    }
  });

  it('fused depthwise with bias + relu', async () => {
    const err = await wasmVsCpu(
      (x, f, b) => tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 1, bias: b, activation: 'relu' }),
      [{ shape: [2, 9, 8, 6] }, { shape: [3, 3, 6, 1] }, { shape: [6] }],
    );
    expect(worst.note(err, 'fused dw')).toBeLessThan(TOL);
  });
});
