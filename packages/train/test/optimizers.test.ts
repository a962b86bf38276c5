import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, createOptimizer, decayMindSpore, decayRank2Plus, HrnetOptimizer, RMSProp, SGD } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Runs `steps` updates of `opt` on one variable w (starting at 1) with gradient `grad(w)` and returns w
 * after each step. `shape` [1, 1] makes w a "weight" (decayed by default), [1] a "bias".
 */
function run(opt: tf.Optimizer, steps: number, grad: (w: tf.Tensor) => tf.Tensor, shape: number[] = [1], lrs?: number[]): number[] {
  const w = tf.variable(tf.ones(shape));
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    if (lrs) (opt as HrnetOptimizer).setLearningRate(lrs[i]);
    tf.tidy(() => opt.applyGradients({ [w.name]: grad(w) }));
    out.push(w.dataSync()[0]);
  }
  opt.dispose();
  w.dispose();
  return out;
}
const identity = (w: tf.Tensor) => w.clone(); // loss 0.5 w^2
const ones = (w: tf.Tensor) => tf.onesLike(w); // loss sum(w)
const close = (actual: number[], expected: number[], digits = 6) => actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], digits));

describe('RMSProp (MindSpore nn.RMSProp, epsilon inside the sqrt)', () => {
  const recipe = { learningRate: 0.1, decay: 0.9, momentum: 0.9, epsilon: 1e-3 };

  it('follows s = ρs + (1-ρ)g², m = βm + lr·g/sqrt(s + ε), w -= m with s0 = 1, m0 = 0', () => {
    // step 1: g = 1, s = 0.9 + 0.1 = 1, m = 0.1 / sqrt(1.001) = 0.09995004, w = 0.90004996
    // step 2: g = 0.90004996, s = 0.9 + 0.1 * 0.81008994 = 0.98100899, m = 0.9 * 0.09995004 + 0.1 * g / sqrt(0.98200899)
    //         = 0.08995504 + 0.09082372 = 0.18077876, w = 0.71926920
    close(run(new RMSProp(recipe), 3, identity), [0.9000499625, 0.7192692012, 0.4822070268]);
  });

  it('differs from torch.optim.RMSprop (ε outside the sqrt, s0 = 0, lr outside the buffer)', () => {
    // torch with alpha 0.9, momentum 0.9, eps 1e-3 would give w = 0.68476908 after one step: s = 0.1, 1 / (sqrt(0.1) + 1e-3).
    const [w1] = run(new RMSProp(recipe), 1, identity);
    expect(Math.abs(w1 - 0.6847690817)).toBeGreaterThan(0.2);
  });

  it('keeps the learning rate inside the momentum: a new rate only scales new gradients', () => {
    // step 2 with lr 0.5: m = 0.9 * 0.09995004 + 0.5 * 0.90004996 / sqrt(0.98200899) = 0.54408367, w = 0.35596629
    close(run(new RMSProp(recipe), 2, identity, [1], [0.1, 0.5]), [0.9000499625, 0.3559662909]);
  });

  it('adds coupled L2 to the gradient (MindSpore decay_weight) of decayed variables only', () => {
    // g = w + 0.1 w = 1.1 w: step 1 s = 0.9 + 0.121 = 1.021, m = 0.11 / sqrt(1.022) = 0.10880961, w = 0.89119039
    close(run(new RMSProp({ ...recipe, weightDecay: 0.1 }), 2, identity, [1, 1]), [0.8911903941, 0.6960057973]);
    close(run(new RMSProp({ ...recipe, weightDecay: 0.1 }), 1, identity, [1]), [0.9000499625]);
  });
});

describe('Adam / AdamW (torch semantics)', () => {
  it('Adam: bias-corrected moments, ε outside the sqrt; equals tf.train.adam over many steps', () => {
    // constant gradient 1: m̂ = v̂ = 1 every step, so w drops by lr (1 - 1e-8) per step
    close(run(new Adam({ learningRate: 0.1 }), 3, ones), [0.9, 0.8, 0.7]);
    const x = tf.randomNormal([16, 3], 0, 1, 'float32', 1);
    const y = tf.randomNormal([16, 1], 0, 1, 'float32', 2);
    const fit = (opt: tf.Optimizer) => {
      const w = tf.variable(tf.zeros([3, 1]));
      for (let i = 0; i < 30; i++) tf.tidy(() => opt.applyGradients(tf.variableGrads(() => tf.losses.meanSquaredError(y, tf.matMul(x, w)) as tf.Scalar, [w]).grads));
      const out = Array.from(w.dataSync());
      w.dispose();
      opt.dispose();
      return out;
    };
    close(fit(new Adam({ learningRate: 0.05, epsilon: 1e-7 })), fit(tf.train.adam(0.05, 0.9, 0.999, 1e-7)), 5);
    tf.dispose([x, y]);
  });

  it('Adam weight decay is coupled L2: g = grad + wd·w (so it is normalised away with the gradient)', () => {
    // gradient 1, wd 0.5: g1 = 1.5 -> step lr; g2 = 1 + 0.5 * 0.9 = 1.45, m = 0.9*0.15 + 0.1*1.45 = 0.28,
    // v = 0.999*0.00225 + 0.001*2.1025 = 0.00435025, m̂ = 0.28/0.19, v̂ = 0.00435025/0.001999 -> w = 0.80010271
    close(run(new Adam({ learningRate: 0.1, weightDecay: 0.5 }), 3, ones, [1, 1]), [0.9, 0.8001027084, 0.700381525]);
  });

  it('AdamW weight decay is decoupled: w *= 1 - lr·wd before the Adam step', () => {
    // w = 1 * (1 - 0.05) - 0.1 = 0.85; 0.85 * 0.95 - 0.1 = 0.7075; 0.7075 * 0.95 - 0.1 = 0.572125
    close(run(new AdamW({ learningRate: 0.1, weightDecay: 0.5 }), 3, ones, [1, 1]), [0.85, 0.7075, 0.572125]);
    // not on biases / norm parameters (rank 1) by default
    close(run(new AdamW({ learningRate: 0.1, weightDecay: 0.5 }), 2, ones, [1]), [0.9, 0.8]);
    expect(new AdamW({ learningRate: 1 }).weightDecay).toBe(0.01);
  });
});

describe('weight-decay filters', () => {
  it('rank2 (timm filter_bias_and_bn) vs MindSpore (all but gamma/beta)', () => {
    const v = (shape: number[], name: string) => tf.variable(tf.zeros(shape), true, name);
    const vars = [v([3, 3, 1, 4], 'conv1/kernel'), v([4], 'conv1/bias'), v([4], 'bn1/gamma'), v([4], 'bn1/beta'), v([4, 2], 'fc/kernel'), v([2], 'fc/bias')];
    expect(vars.map((x) => decayRank2Plus(x))).toEqual([true, false, false, false, true, false]);
    expect(vars.map((x) => decayMindSpore(x))).toEqual([true, true, false, false, true, true]);
    tf.dispose(vars);
  });
});

describe('optimizer state (get/set)', () => {
  for (const make of [
    () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    () => new RMSProp({ learningRate: 0.1, momentum: 0.9, epsilon: 1e-3, weightDecay: 0.01 }),
    () => new Adam({ learningRate: 0.1 }),
    () => new AdamW({ learningRate: 0.1, weightDecay: 0.05 }),
  ]) {
    it(`${make().getClassName()}: restoring the state continues exactly like the original`, () => {
      const w = tf.variable(tf.tensor2d([[1, -2], [0.5, 3]]));
      const step = (o: HrnetOptimizer) => tf.tidy(() => o.applyGradients(tf.variableGrads(() => tf.sum(tf.pow(w, 3)) as tf.Scalar, [w]).grads));
      const a = make();
      step(a);
      step(a);
      const state = a.getState();
      const saved = w.clone();
      step(a);
      const expected = Array.from(w.dataSync());
      w.assign(saved);
      const b = make();
      b.setState(state);
      expect(b.iterations).toBe(2);
      step(b);
      close(Array.from(w.dataSync()), expected, 6);
      tf.dispose([saved, ...Object.values(state.slots).flatMap((s) => Object.values(s))]);
      a.dispose();
      b.dispose();
      w.dispose();
    });
  }

  it('refuses state from another optimizer class or other hyper-parameters', () => {
    const state = new SGD({ learningRate: 0.1, momentum: 0.9 }).getState();
    expect(() => new Adam({ learningRate: 0.1 }).setState(state)).toThrow(/from HrnetSGD, cannot load it into HrnetAdam/);
    expect(() => new SGD({ learningRate: 0.1, momentum: 0.8 }).setState(state)).toThrow(/momentum 0.9 \(saved\) vs 0.8 \(now\)/);
  });
});

describe('createOptimizer', () => {
  it('builds each optimizer from its config section', () => {
    const ms = createOptimizer({ name: 'rmsprop', lr: 0.01, momentum: 0.9, eps: 1e-3, weight_decay: 1e-5, weight_decay_filter: 'mindspore' }) as RMSProp;
    expect([ms instanceof RMSProp, ms.decay, ms.momentum, ms.epsilon, ms.weightDecay]).toEqual([true, 0.9, 0.9, 1e-3, 1e-5]);
    const aw = createOptimizer({ name: 'adamw', lr: 0.001, weight_decay: 0.05 }) as AdamW;
    expect([aw instanceof AdamW, aw.beta1, aw.beta2, aw.epsilon, aw.weightDecay]).toEqual([true, 0.9, 0.999, 1e-8, 0.05]);
    expect(createOptimizer({ name: 'adam', lr: 0.001 })).toBeInstanceOf(Adam);
    expect((createOptimizer({ name: 'nesterov', lr: 0.1 }) as SGD).nesterov).toBe(true);
  });
});
