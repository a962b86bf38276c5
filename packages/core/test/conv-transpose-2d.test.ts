import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvTranspose2d, exportPytorchStateDict, loadStateDict } from '../src/index.js';
import { relErr, seeded, setupBackends, TOL, WorstError } from './backend/grad-check.js';

const worst = new WorstError();
beforeAll(setupBackends);
afterAll(() => console.log(`ConvTranspose2d: max relative error ${worst.value.toExponential(2)} (${worst.where})`));

interface Case {
  k: number;
  s: number;
  p: number;
  op: number;
  /** [N, H, W, Cin] */
  x: [number, number, number, number];
  co: number;
  bias?: boolean;
}

// HigherHRNet's three kernel rules (k4/p1/op0, k3/p1/op1, k2/p0/op0, stride 2), plus stride 1, stride 3 and non-square.
const CASES: Case[] = [
  { k: 4, s: 2, p: 1, op: 0, x: [1, 5, 7, 6], co: 4 },
  { k: 3, s: 2, p: 1, op: 1, x: [2, 4, 3, 3], co: 5, bias: true },
  { k: 2, s: 2, p: 0, op: 0, x: [1, 3, 6, 4], co: 2 },
  { k: 3, s: 1, p: 1, op: 0, x: [2, 5, 4, 3], co: 3 },
  { k: 5, s: 3, p: 2, op: 2, x: [1, 4, 5, 2], co: 3, bias: true },
];

/**
 * torch.nn.ConvTranspose2d by its definition: every input pixel scatters `x * W[ci, co]` onto the output at
 * (iy * s - p + ky, ix * s - p + kx); output size (in - 1) * s - 2p + k + op. `w` in PyTorch layout [in, out, k, k].
 */
function reference(c: Case, x: Float32Array, w: Float32Array, b: Float32Array | null): { data: Float32Array; shape: number[] } {
  const [n, h, wd, ci] = c.x;
  const oh = (h - 1) * c.s - 2 * c.p + c.k + c.op;
  const ow = (wd - 1) * c.s - 2 * c.p + c.k + c.op;
  const out = new Float32Array(n * oh * ow * c.co);
  for (let b0 = 0; b0 < n; b0++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < wd; ix++) {
        for (let i = 0; i < ci; i++) {
          const v = x[((b0 * h + iy) * wd + ix) * ci + i];
          for (let ky = 0; ky < c.k; ky++) {
            const oy = iy * c.s - c.p + ky;
            if (oy < 0 || oy >= oh) continue;
            for (let kx = 0; kx < c.k; kx++) {
              const ox = ix * c.s - c.p + kx;
              if (ox < 0 || ox >= ow) continue;
              for (let o = 0; o < c.co; o++) {
                out[((b0 * oh + oy) * ow + ox) * c.co + o] += v * w[((i * c.co + o) * c.k + ky) * c.k + kx];
              }
            }
          }
        }
      }
    }
  }
  if (b) for (let i = 0; i < out.length; i++) out[i] += b[i % c.co];
  return { data: out, shape: [n, oh, ow, c.co] };
}

/** A ConvTranspose2d for `c` with seeded weights, loaded from a PyTorch-layout state dict. */
function makeLayer(c: Case, seed: number): { model: tf.LayersModel; w: Float32Array; b: Float32Array | null } {
  const input = tf.input({ shape: [null, null, c.x[3]] });
  const layer = new ConvTranspose2d({ name: 'up', filters: c.co, kernelSize: c.k, strides: c.s, padding: c.p, outputPadding: c.op, useBias: c.bias });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  const w = seeded(c.x[3] * c.co * c.k * c.k, seed);
  const b = c.bias ? seeded(c.co, seed + 1) : null;
  const sd: Parameters<typeof loadStateDict>[1] = { 'up.weight': { shape: [c.x[3], c.co, c.k, c.k], dtype: 'float32', data: w } };
  if (b) sd['up.bias'] = { shape: [c.co], dtype: 'float32', data: b };
  loadStateDict(model, sd);
  return { model, w, b };
}

const label = (c: Case) => `k${c.k} s${c.s} p${c.p} op${c.op} x[${c.x}]${c.bias ? ' +bias' : ''}`;

describe.each(['cpu', 'wasm'])('ConvTranspose2d forward equals PyTorch semantics on %s', (backend) => {
  it.each(CASES.map((c) => [label(c), c] as const))('%s', async (_l, c) => {
    await tf.setBackend(backend);
    const { model, w, b } = makeLayer(c, 3);
    const xData = seeded(c.x.reduce((a, v) => a * v, 1), 5);
    const ref = reference(c, xData, w, b);
    const y = tf.tidy(() => model.predict(tf.tensor(xData, c.x)) as tf.Tensor);
    expect(y.shape).toEqual(ref.shape);
    expect(model.outputs[0].shape.slice(3)).toEqual([c.co]);
    expect(worst.note(relErr(y.dataSync(), ref.data), `forward ${label(c)} ${backend}`)).toBeLessThan(TOL);
    y.dispose();
    model.dispose();
  });
});

describe('ConvTranspose2d gradients on wasm (Conv2D / Conv2DBackpropFilter kernels) match cpu', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('%s: dx, dW, db', async (_l, c) => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const { model } = makeLayer(c, 11);
      const x = tf.variable(tf.tensor(seeded(c.x.reduce((a, v) => a * v, 1), 13), c.x));
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const y = model.apply(x, { training: true }) as tf.Tensor;
        return tf.sum(tf.mul(y, tf.tensor(seeded(y.size, 17), y.shape)));
      }, [x, ...vars]);
      const out = [x, ...vars].map((v) => Float32Array.from(grads[v.name].dataSync()));
      tf.dispose([value, x, ...Object.values(grads)]);
      model.dispose();
      return out;
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    expect(wasm.length).toBe(c.bias ? 3 : 2);
    wasm.forEach((g, i) => expect(worst.note(relErr(g, cpu[i]), `grad ${i} ${label(c)}`), `gradient ${i}`).toBeLessThan(TOL));
  });
});

describe('ConvTranspose2d layer', () => {
  it('serialises (getConfig / fromConfig) and exports its kernel in PyTorch layout [in, out, k, k]', async () => {
    await tf.setBackend('cpu');
    const c = CASES[1];
    const { model, w } = makeLayer(c, 21);
    const layer = model.getLayer('up') as ConvTranspose2d;
    const cfg = layer.getConfig();
    expect(cfg).toMatchObject({ filters: 5, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, useBias: true });
    // Round trip through the Keras JSON topology: needs the class registered under its className.
    const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
    expect(copy.getLayer('up').getClassName()).toBe('ConvTranspose2d');
    expect(copy.getLayer('up').getConfig()).toEqual(cfg);
    copy.dispose();
    expect(layer.computeOutputShape([null, 16, 10, 3])).toEqual([null, 32, 20, 5]);
    const exported = exportPytorchStateDict(model);
    expect(exported['up.weight'].shape).toEqual([3, 5, 3, 3]);
    expect(relErr(exported['up.weight'].data, w)).toBe(0);
    model.dispose();
  });

  it('rejects output_padding >= stride and non-integer sizes', () => {
    expect(() => new ConvTranspose2d({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2 })).toThrow(/outputPadding/);
    expect(() => new ConvTranspose2d({ filters: 2, kernelSize: 2.5 })).toThrow(/kernelSize/);
  });
});
