import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNative, nativeVsCpu, setupNative, TOL, WorstError } from './helpers.js';
import { CONV_TRANSPOSE_CASES } from '../../../test-utils/grad-check.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const explicit: Pad = [[0, 0], [1, 0], [0, 2], [0, 0]];
// [N, H, W]: odd non-square with batch 1, even with batch 2, odd with batch 3.
const SHAPES: [number, number, number][] = [[1, 7, 9], [2, 8, 8], [3, 5, 6]];
const CONV_KERNELS = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];

const worst = new WorstError();
afterAll(() => console.log(`native conv kernels: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

describeNative('native conv2d kernels match cpu (output, dx, dW)', () => {
  beforeAll(setupNative);

  for (const k of [1, 3, 5]) {
    for (const s of [1, 2]) {
      it(`${k}x${k} stride ${s}: pads same/valid/${Math.floor(k / 2)}/explicit, N x H x W ${SHAPES.map((x) => x.join('x')).join(' ')}`, async () => {
        for (const pad of ['same', 'valid', Math.floor(k / 2), explicit] as Pad[]) {
          for (const [n, h, w] of SHAPES) {
            if (pad === 'valid' && (h < k || w < k)) continue;
            const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad as never), [[n, h, w, 3], [k, k, 3, 5]], CONV_KERNELS);
            expect(worst.note(err, `${k}x${k} s${s} ${JSON.stringify(pad)} ${n}x${h}x${w}`), JSON.stringify({ k, s, pad, n, h, w })).toBeLessThan(TOL);
          }
        }
      });
    }
  }

  it('HRNet-like channel counts (vectorised oneDNN paths): 18→36 s2, 32→32 3x3, 64→18 1x1, 36→144 3x3 s2', async () => {
    for (const [ci, co, k, s, n, h] of [[18, 36, 3, 2, 2, 15], [32, 32, 3, 1, 3, 9], [64, 18, 1, 1, 2, 11], [36, 144, 3, 2, 1, 13]]) {
      const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, 'same'), [[n, h, h + 2, ci], [k, k, ci, co]], CONV_KERNELS);
      expect(worst.note(err, `${ci}->${co} ${k}x${k} s${s}`)).toBeLessThan(TOL);
    }
  });

  it('wide convolutions (C >= 256: filter gradient as im2col + GEMM): 3x3 stride 2 and 1, 5x5, explicit pads, odd sizes', async () => {
    for (const [n, h, w, k, s, pad, co] of [[2, 9, 7, 3, 2, 'same', 24], [1, 6, 5, 3, 1, 'valid', 16], [3, 5, 6, 5, 2, [[0, 0], [2, 1], [0, 2], [0, 0]], 8]] as const) {
      const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad as never), [[n, h, w, 256], [k, k, 256, co]], CONV_KERNELS);
      expect(worst.note(err, `wide ${n}x${h}x${w}x256 k${k} s${s} ${JSON.stringify(pad)}`)).toBeLessThan(TOL);
    }
  });

  it('pad larger than the kernel, and asymmetric explicit pads', async () => {
    for (const pad of [3, [[0, 0], [2, 3], [0, 1], [0, 0]]] as Pad[]) {
      const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, pad as never), [[2, 6, 7, 4], [3, 3, 4, 6]], CONV_KERNELS);
      expect(worst.note(err, `pad ${JSON.stringify(pad)}`)).toBeLessThan(TOL);
    }
  });

  // Forward only: tfjs's conv2d gradient drops dimRoundingMode, so dy and the input gradient disagree.
  it("dimRoundingMode 'ceil' and 'round' (an output that reads past the padding sees zeros, as on cpu)", async () => {
    for (const mode of ['ceil', 'round'] as const) {
      for (const [h, k, s, p] of [[6, 3, 2, 0], [7, 3, 2, 0], [8, 5, 3, 1]]) {
        const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, p, 'NHWC', 1, mode), [[2, h, h + 1, 3], [k, k, 3, 4]], ['Conv2D'], false);
        expect(worst.note(err, `rounding ${mode} h${h} k${k} s${s} p${p}`)).toBeLessThan(TOL);
      }
    }
  });

  it('NCHW data format (output and gradients)', async () => {
    for (const s of [1, 2]) {
      const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, 'same', 'NCHW'), [[2, 4, 7, 8], [3, 3, 4, 6]], CONV_KERNELS);
      expect(worst.note(err, `NCHW s${s}`)).toBeLessThan(TOL);
    }
  });

  it('dilation 2 (forward; tfjs has no dilated conv gradients)', async () => {
    for (const pad of ['same', 'valid'] as const) {
      const err = await nativeVsCpu((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, pad, 'NHWC', 2), [[2, 9, 10, 3], [3, 3, 3, 4]], ['Conv2D'], false);
      expect(worst.note(err, `dilation 2 ${pad}`)).toBeLessThan(TOL);
    }
  });

  it('FusedConv2D: bias + linear/relu/relu6/leakyrelu, and no bias; stride 1 and 2 (gradients through the fused op)', async () => {
    for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu'] as const) {
      for (const s of [1, 2]) {
        for (const withBias of [true, false]) {
          const shapes = [[2, 9, 8, 4], [3, 3, 4, 6], ...(withBias ? [[6]] : [])];
          const err = await nativeVsCpu(
            // Scaled so relu6 clips some values.
            (x, f, b) => tf.fused.conv2d({ x: tf.mul(x, 4) as tf.Tensor4D, filter: f as tf.Tensor4D, strides: s, pad: 1, bias: b, activation, leakyreluAlpha: 0.1 }),
            shapes,
            ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
          );
          expect(worst.note(err, `fused ${activation} s${s} bias ${withBias}`)).toBeLessThan(TOL);
        }
      }
    }
  });

  it('conv2dTranspose 3x3 and 4x4 stride 2 (forward is Conv2DBackpropInput)', async () => {
    for (const [k, pad, outHW] of CONV_TRANSPOSE_CASES) {
      const err = await nativeVsCpu(
        (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, outHW[0], outHW[1], 3], 2, pad),
        [[2, 5, 6, 4], [k, k, 3, 4]],
        CONV_KERNELS,
      );
      expect(worst.note(err, `conv2dTranspose ${k}x${k} ${pad}`)).toBeLessThan(TOL);
    }
  });
});

describeNative('native depthwise conv kernels match cpu (output, dx, dW)', () => {
  beforeAll(setupNative);
  const DW = ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];
  for (const k of [3, 5, 1]) {
    for (const s of [1, 2]) {
      it(`${k}x${k} stride ${s}, multiplier 1 and 2, pads same/valid/explicit, batch 1 and 2`, async () => {
        for (const mult of [1, 2]) {
          for (const pad of ['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]] as Pad[]) {
            for (const [n, h, w] of [[1, 7, 9], [2, 8, 6]]) {
              const err = await nativeVsCpu((x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad as never), [[n, h, w, 5], [k, k, 5, mult]], DW);
              expect(worst.note(err, `depthwise ${k}x${k} s${s} m${mult} ${JSON.stringify(pad)} ${n}x${h}x${w}`)).toBeLessThan(TOL);
            }
          }
        }
      });
    }
  }

  it('FusedDepthwiseConv2D with bias + relu6, 32 channels', async () => {
    const err = await nativeVsCpu(
      (x, f, b) => tf.fused.depthwiseConv2d({ x: tf.mul(x, 4) as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation: 'relu6' }),
      [[2, 9, 10, 32], [3, 3, 32, 1], [32]],
      ['FusedDepthwiseConv2D', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
    );
    expect(worst.note(err, 'fused depthwise relu6')).toBeLessThan(TOL);
  });
});
