import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradsOn, relErr, seeded, setupBackends, TOL, wasmVsCpu, WorstError } from './grad-check.js';

const worst = new WorstError();
beforeAll(setupBackends);
afterAll(() => console.log(`batchnorm/tile/resize/pool/matmul: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

const dot = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0]);
const absDot = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.abs(tf.mul(a, b))).dataSync()[0]);

describe('BatchNorm (batch moments) gradients on wasm match cpu', () => {
  it('dx, dgamma, dbeta through tf.moments + tf.batchNorm (the BatchNorm2d training path; uses Tile)', async () => {
    for (const shape of [[2, 5, 7, 6], [1, 4, 4, 3], [3, 6, 2, 8]]) {
      const c = shape[3];
      const err = await wasmVsCpu(
        (x, gamma, beta) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return tf.relu(tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5));
        },
        [{ shape }, { shape: [c] }, { shape: [c] }],
      );
      expect(worst.note(err, `batchnorm ${shape}`)).toBeLessThan(TOL);
    }
  });
});

describe('Tile on wasm matches cpu', () => {
  it('values for float32 / int32 / bool, many rep patterns', async () => {
    const cases: [number[], number[]][] = [
      [[1, 1, 1, 5], [2, 3, 4, 1]],
      [[2, 3], [3, 2]],
      [[4], [5]],
      [[2, 1, 3], [1, 4, 1]],
      [[2, 3, 1, 2], [2, 1, 3, 2]],
      [[3, 2], [1, 1]],
      [[2, 0, 3], [2, 2, 2]],
    ];
    for (const [shape, reps] of cases) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const vals = Array.from(seeded(shape.reduce((a, b) => a * b, 1), 3), (v) => (dtype === 'float32' ? v : Math.round(v * 4)));
        const outs: Float32Array[] = [];
        for (const backend of ['wasm', 'cpu']) {
          await tf.setBackend(backend);
          const x = tf.tensor(vals, shape, dtype);
          const y = tf.tile(x, reps);
          outs.push(Float32Array.from(y.dataSync()));
          expect(y.shape).toEqual(shape.map((d, i) => d * reps[i]));
          tf.dispose([x, y]);
        }
        expect(relErr(outs[0], outs[1]), `${dtype} ${shape} x ${reps}`).toBe(0);
      }
    }
  });

  it('gradient of tile', async () => {
    const err = await wasmVsCpu((x) => tf.tile(x, [2, 1, 3]), [{ shape: [3, 4, 2] }]);
    expect(worst.note(err, 'tile grad')).toBeLessThan(TOL);
  });
});

describe('resize gradients on wasm', () => {
  it('nearest upsampling x2 / x4 on non-square input: gradient = sum over each block (tf.image and tf.layers.upSampling2d)', async () => {
    for (const [n, h, w, c, f] of [[2, 3, 5, 4, 2], [1, 4, 2, 3, 4], [2, 5, 3, 2, 2]]) {
      const ops = [{ shape: [n, h, w, c] }];
      const viaImage = await gradsOn('wasm', (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [h * f, w * f]), ops);
      const layer = tf.layers.upSampling2d({ size: [f, f], interpolation: 'nearest' });
      const viaLayer = await gradsOn('wasm', (x) => layer.apply(x) as tf.Tensor, ops);
      // dy is the fixed pattern gradsOn multiplies by: sum it over each f x f block.
      await tf.setBackend('cpu');
      const expected = tf.tidy(() =>
        tf.tensor(seeded(n * h * f * w * f * c, 99), [n, h, f, w, f, c]).sum([2, 4]).dataSync(),
      );
      expect(worst.note(relErr(viaImage[1], expected), `nearest x${f} ${h}x${w}`)).toBeLessThan(TOL);
      expect(worst.note(relErr(viaLayer[1], expected), `upSampling2d x${f} ${h}x${w}`)).toBeLessThan(TOL);
    }
  });

  it('ResizeNearestNeighborGrad / ResizeBilinearGrad are adjoint to the forward resize (non-square, up and down, all corner modes)', async () => {
    await tf.setBackend('wasm');
    for (const [h, w, oh, ow] of [[3, 5, 7, 4], [6, 4, 12, 8], [8, 6, 3, 5]]) {
      for (const [alignCorners, halfPixelCenters] of [[false, false], [true, false], [false, true]]) {
        const x = tf.tensor(seeded(2 * h * w * 3, 1), [2, h, w, 3]);
        const p = tf.tensor(seeded(2 * oh * ow * 3, 2), [2, oh, ow, 3]);
        for (const [fwd, grad] of [
          ['ResizeNearestNeighbor', 'ResizeNearestNeighborGrad'],
          ['ResizeBilinear', 'ResizeBilinearGrad'],
        ]) {
          const attrs = { alignCorners, halfPixelCenters, size: [oh, ow] };
          const y = tf.engine().runKernel(fwd, { images: x }, attrs as never) as tf.Tensor;
          const g = tf.engine().runKernel(grad, { images: x, dy: p }, attrs as never) as tf.Tensor;
          expect(g.shape).toEqual(x.shape);
          const err = Math.abs(dot(y, p) - dot(x, g)) / absDot(y, p);
          tf.dispose([y, g]);
          const where = `${grad} ${h}x${w}->${oh}x${ow} ac=${alignCorners} hpc=${halfPixelCenters}`;
          expect(worst.note(err, where), where).toBeLessThan(TOL);
        }
        tf.dispose([x, p]);
      }
    }
  });
});

describe('pooling and matmul gradients on wasm match cpu', () => {
  it('maxPool 3x3 s2 same / 2x2 s2 valid, with ties (MaxPoolGrad replaced)', async () => {
    for (const [k, s, pad] of [[3, 2, 'same'], [2, 2, 'valid'], [3, 1, 'same']] as const) {
      for (const ties of [false, true]) {
        const shape = [2, 7, 6, 3];
        const size = 2 * 7 * 6 * 3;
        const values = ties ? Float32Array.from(seeded(size, 4), (v) => Math.round(v * 2)) : undefined;
        const err = await wasmVsCpu((x) => tf.maxPool(x as tf.Tensor4D, k, s, pad), [{ shape, values }]);
        expect(worst.note(err, `maxPool ${k} s${s} ${pad} ties=${ties}`)).toBeLessThan(TOL);
      }
    }
  });

  it('avgPool and global average pooling + softmax cross-entropy', async () => {
    const err1 = await wasmVsCpu((x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), [{ shape: [2, 6, 8, 3] }]);
    const labels = tf.oneHot([1, 3], 5);
    const err2 = await wasmVsCpu((x) => tf.losses.softmaxCrossEntropy(labels, tf.mean(x, [1, 2])), [{ shape: [2, 4, 3, 5] }]);
    labels.dispose();
    expect(worst.note(err1, 'avgPool')).toBeLessThan(TOL);
    expect(worst.note(err2, 'GAP + softmax CE')).toBeLessThan(TOL);
  });

  it('dense layer and matMul with transposes (BatchMatMul replaced): gradients', async () => {
    const cases: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number[], number[]][] = [
      ['dense', (a, b) => tf.relu(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)), [4, 7], [7, 5]],
      ['tA', (a, b) => tf.matMul(a, b, true, false), [7, 4], [7, 5]],
      ['tB', (a, b) => tf.matMul(a, b, false, true), [4, 7], [5, 7]],
      ['tAtB', (a, b) => tf.matMul(a, b, true, true), [7, 4], [5, 7]],
      ['both batched', (a, b) => tf.matMul(a, b, true, true), [2, 7, 4], [2, 5, 7]],
      ['dense head, wide (swapped product)', (a, b) => tf.matMul(a, b), [3, 40], [40, 64]],
      ['one output unit', (a, b) => tf.matMul(a, b), [6, 5], [5, 1]],
      ['one input unit', (a, b) => tf.matMul(a, b), [6, 1], [1, 5]],
    ];
    for (const [name, f, sa, sb] of cases) {
      const err = await wasmVsCpu(f, [{ shape: sa }, { shape: sb }]);
      expect(worst.note(err, `matMul ${name}`), name).toBeLessThan(TOL);
    }
  });

  // tf's matMul gradient does not reduce broadcast batch dims, so broadcasting is checked on values.
  it('BatchMatMul values with batch broadcasting, every transpose combination', async () => {
    const [m, k, n] = [4, 7, 5];
    for (const [batchA, batchB] of [[[3], [1]], [[1], [3]], [[2, 3], []], [[], [2]]]) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const shapeA = [...batchA, ...(tA ? [k, m] : [m, k])];
          const shapeB = [...batchB, ...(tB ? [n, k] : [k, n])];
          const [sa, sb] = [shapeA, shapeB];
          const outs: Float32Array[] = [];
          for (const backend of ['wasm', 'cpu']) {
            await tf.setBackend(backend);
            const a = tf.tensor(seeded(shapeA.reduce((x, y) => x * y, 1), 1), shapeA);
            const b = tf.tensor(seeded(shapeB.reduce((x, y) => x * y, 1), 2), shapeB);
            const y = tf.matMul(a, b, tA, tB);
            outs.push(y.dataSync() as Float32Array);
            tf.dispose([a, b, y]);
          }
          const where = `matMul values ${sa} x ${sb} tA=${tA} tB=${tB}`;
          expect(worst.note(relErr(outs[0], outs[1]), where), where).toBeLessThan(TOL);
        }
      }
    }
  });
});

describe('reductions and copies on wasm match cpu', () => {
  it('Sum / Mean over every axis combination of a 4-D tensor (and rank 2, 3, 5), keepDims or not', async () => {
    const shapes = [[2, 5, 7, 6], [3, 4], [2, 3, 4], [2, 3, 1, 4, 5]];
    for (const shape of shapes) {
      const rank = shape.length;
      const combos: number[][] = [];
      for (let mask = 1; mask < 1 << rank; mask++) combos.push([...Array(rank).keys()].filter((i) => mask & (1 << i)));
      for (const axes of combos) {
        for (const keepDims of [false, true]) {
          for (const op of ['sum', 'mean'] as const) {
            const outs: Float32Array[] = [];
            const shapesOut: number[][] = [];
            for (const backend of ['wasm', 'cpu']) {
              await tf.setBackend(backend);
              const x = tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), 8), shape);
              const y = tf[op](x, axes, keepDims);
              outs.push(y.dataSync() as Float32Array);
              shapesOut.push(y.shape);
              tf.dispose([x, y]);
            }
            const where = `${op} ${shape} axes ${axes} keepDims ${keepDims}`;
            expect(shapesOut[0], where).toEqual(shapesOut[1]);
            expect(worst.note(relErr(outs[0], outs[1]), where), where).toBeLessThan(TOL);
          }
        }
      }
    }
  });

  it('int32 sums and the BatchNorm2d statistics path stay exact / close', async () => {
    await tf.setBackend('wasm');
    const xi = tf.tensor([[1, 2], [3, 4], [5, 6]], undefined, 'int32');
    expect(Array.from(tf.sum(xi, 0).dataSync())).toEqual([9, 12]);
    expect(tf.sum(xi, 0).dtype).toBe('int32');
    xi.dispose();
    const err = await wasmVsCpu((x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.concat([mean, variance]);
    }, [{ shape: [4, 9, 7, 5] }]);
    expect(worst.note(err, 'moments grads')).toBeLessThan(TOL);
  });

  it('clone / same-dtype cast share data safely; casts across dtypes convert', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1.5, -2.25, 3], [3]);
    const c = x.clone();
    const y = tf.cast(x, 'float32');
    const i = tf.cast(x, 'int32');
    const bl = tf.cast(tf.tensor([0, 2, -1], [3], 'int32'), 'bool');
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(y.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(bl.dataSync())).toEqual([0, 1, 1]);
    const v = tf.variable(c);
    v.assign(tf.tensor([7, 8, 9], [3]));
    expect(Array.from(c.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([c, y, i, bl, v]);
  });
});
