import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchDataParallel, SGD, Trainer } from '../src/index.js';
import type { FixtureData, RankResult } from './dist-toy.js';
import { crossEntropy, distToyModel, toyBatches, type ToyBatch } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});


const STEPS = 6;
const BATCH = 8;

/** Single process, full global batches: the reference. */
async function fullBatch(bn: boolean): Promise<RankResult> {
  const model = distToyModel(bn);
  const losses: number[] = [];
  const trainer = new Trainer<ToyBatch>({
    model,
    loss: crossEntropy,
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    progress: 'none',
    onLog: (e) => e.type === 'step' && losses.push(e.loss),
  });
  await trainer.fit(toyBatches(STEPS, BATCH, 21), { epochs: 1 });
  return { rank: 0, converted: 0, losses, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
}

const dist = (data: FixtureData) =>
  launchDataParallel<RankResult>({ worldSize: 2, module: new URL('./dist-fixture.ts', import.meta.url), data, capacity: 64 });

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((w, i) => w.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

describe('--dist: data-parallel worker threads', () => {
  it('N=2 equals N=1 with the full batch, without BatchNorm (replicas stay bit-identical)', async () => {
    const ref = await fullBatch(false);
    const [r0, r1] = await dist({ bn: false, sync: false, steps: STEPS, batch: BATCH });
    expect(r0.weights).toEqual(r1.weights);
    expect(maxDiff(r0.weights, ref.weights)).toBeLessThan(1e-6);
    r0.losses.forEach((l, i) => expect(l).toBeCloseTo(ref.losses[i], 6));
  }, 60_000);

  it('with BatchNorm: N=2 equals N=1 only with synchronized BatchNorm (weights and running statistics)', async () => {
    const ref = await fullBatch(true);
    const [s0, s1] = await dist({ bn: true, sync: true, steps: STEPS, batch: BATCH });
    expect(s0.converted).toBe(1);
    expect(s0.weights).toEqual(s1.weights);
    expect(maxDiff(s0.weights, ref.weights)).toBeLessThan(1e-5);
    s0.losses.forEach((l, i) => expect(l).toBeCloseTo(ref.losses[i], 5));
    // Local statistics per replica (no sync) give a different model.
    const [u0] = await dist({ bn: true, sync: false, steps: STEPS, batch: BATCH });
    expect(maxDiff(u0.weights, ref.weights)).toBeGreaterThan(1e-4);
  }, 90_000);

  it('joinDataParallel gives every rank rank 0\'s weights: equal at step 0 and after every step, whatever each rank drew', async () => {
    const [r0, r1] = await dist({ bn: true, sync: true, steps: 2, batch: BATCH, perturb: true });
    expect(r0.before).not.toBe(r1.before); // the ranks started apart
    expect(r0.startDigest).toBe(r1.startDigest);
    expect(r0.startDigest).toBe(r0.before); // rank 0 kept its own weights
    expect(r0.digests).toHaveLength(2);
    expect(r1.digests).toEqual(r0.digests);
    expect(r0.digests![0]).not.toBe(r0.startDigest); // a step changed them
    expect(maxDiff(r0.weights, r1.weights)).toBe(0);
  }, 90_000);

  it('a failing rank aborts the others and rejects with its error', async () => {
    await expect(launchDataParallel({ worldSize: 2, module: new URL('./dist-fixture.ts', import.meta.url), data: { bn: false, sync: false, steps: 1, batch: -1 } })).rejects.toThrow(/rank \d/);
  }, 60_000);
});
