/** Worker module for dist.test.ts: one worker-thread rank of the toy run. */
import * as tf from '@tensorflow/tfjs';
import { runDataParallelWorker } from '../src/index.js';
import { trainToy, type FixtureData } from './dist-toy.js';

runDataParallelWorker(async (ctx) => {
  await tf.setBackend('cpu');
  return trainToy(ctx, ctx.data as FixtureData);
});
