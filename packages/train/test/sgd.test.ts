import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SGD, type SGDOptions } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Minimises 0.5 * sum(w^2) (gradient = w) from w = 1 and returns w after each step. */
function run(opts: SGDOptions, steps: number, shape: number[] = [1], lrs?: number[]): number[] {
  const w = tf.variable(tf.ones(shape));
  const opt = new SGD(opts);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    if (lrs) opt.setLearningRate(lrs[i]);
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mul(0.5, tf.sum(tf.square(w))) as tf.Scalar, [w]);
      opt.applyGradients(grads);
    });
    out.push(w.dataSync()[0]);
  }
  opt.dispose();
  w.dispose();
  return out;
}

const close = (actual: number[], expected: number[]) => actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 6));

describe('SGD (torch.optim.SGD semantics)', () => {
  it('plain SGD: w <- w - lr * g', () => {
    close(run({ learningRate: 0.1 }, 3), [0.9, 0.81, 0.729]);
  });

  it('heavy-ball momentum: buf = m * buf + g, w <- w - lr * buf', () => {
    // g1 = 1, buf = 1, w = 0.9 | g2 = 0.9, buf = 1.8, w = 0.72 | g3 = 0.72, buf = 2.34, w = 0.486
    close(run({ learningRate: 0.1, momentum: 0.9 }, 3), [0.9, 0.72, 0.486]);
  });

  it('Nesterov (timm sgd / NAG): w <- w - lr * (g + m * buf)', () => {
    // g1 = 1, buf = 1, step 1.9 -> 0.81 | g2 = 0.81, buf = 1.71, step 2.349 -> 0.5751
    // g3 = 0.5751, buf = 2.1141, step 2.47779 -> 0.327321
    close(run({ learningRate: 0.1, momentum: 0.9, nesterov: true }, 3), [0.81, 0.5751, 0.327321]);
  });

  it('dampening scales the gradient into the buffer after the first step (first step buf = g)', () => {
    // buf = 1 -> 0.9 | g = 0.9, buf = 0.9 * 1 + 0.5 * 0.9 = 1.35 -> 0.765
    close(run({ learningRate: 0.1, momentum: 0.9, dampening: 0.5 }, 2), [0.9, 0.765]);
  });

  it('weight decay is added to the gradient of weights (rank >= 2) only, not biases/norms', () => {
    // rank 2: g = w + 0.1 w = 1.1 w -> 0.89, 0.7921 | rank 1: no decay -> 0.9, 0.81
    close(run({ learningRate: 0.1, weightDecay: 0.1 }, 2, [1, 1]), [0.89, 0.7921]);
    close(run({ learningRate: 0.1, weightDecay: 0.1 }, 2, [1]), [0.9, 0.81]);
    // with Nesterov: g = 1.1, buf = 1.1, step 1.1 + 0.99 = 2.09 -> 0.791
    close(run({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }, 1, [1, 1]), [0.791]);
    close(run({ learningRate: 0.1, weightDecay: 0.1, decayFilter: () => true }, 1, [1]), [0.89]);
  });

  it('the learning rate can change every step', () => {
    // 1 -> 1 - 0.1 = 0.9 -> 0.9 - 0.5 * 0.9 = 0.45
    close(run({ learningRate: 123 }, 2, [1], [0.1, 0.5]), [0.9, 0.45]);
  });

  it('matches tf.train.momentum(useNesterov) over many steps on a least-squares problem', () => {
    const x = tf.randomNormal([16, 3], 0, 1, 'float32', 1);
    const y = tf.randomNormal([16, 1], 0, 1, 'float32', 2);
    const fit = (opt: tf.Optimizer) => {
      const w = tf.variable(tf.zeros([3, 1]));
      for (let i = 0; i < 25; i++) {
        tf.tidy(() => opt.applyGradients(tf.variableGrads(() => tf.losses.meanSquaredError(y, tf.matMul(x, w)) as tf.Scalar, [w]).grads));
      }
      const out = Array.from(w.dataSync());
      w.dispose();
      opt.dispose();
      return out;
    };
    close(fit(new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })), fit(tf.train.momentum(0.05, 0.9, true)));
    tf.dispose([x, y]);
  });

  it('round-trips its state through getWeights/setWeights', async () => {
    const w = tf.variable(tf.ones([2]));
    const step = (opt: SGD) => tf.tidy(() => opt.applyGradients(tf.variableGrads(() => tf.sum(tf.square(w)) as tf.Scalar, [w]).grads));
    const a = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
    step(a);
    const saved = await a.getWeights();
    expect(saved.map((s) => s.name)).toEqual(['iter', `${w.name}/momentum`]);
    const b = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
    await b.setWeights(saved.map((s) => ({ name: s.name, tensor: s.tensor.clone() })));
    expect(b.iterations).toBe(1);
    const before = w.dataSync()[0];
    step(b);
    const viaB = w.dataSync()[0];
    w.assign(tf.fill([2], before));
    step(a);
    expect(w.dataSync()[0]).toBeCloseTo(viaB, 6);
    tf.dispose(saved.map((s) => s.tensor).slice(0, 1));
    a.dispose();
    b.dispose();
    w.dispose();
  });

  it('validates its options', () => {
    expect(() => new SGD({ learningRate: -1 })).toThrow(/learningRate/);
    expect(() => new SGD({ learningRate: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0.1 })).toThrow(/Nesterov/);
  });
});
