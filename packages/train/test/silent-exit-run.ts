/**
 * A training run whose data comes from a worker thread that stops answering (as a decode pool's unref'd
 * worker can): after two batches the loader awaits a message that never comes and nothing keeps the event
 * loop alive. `tsx silent-exit-run.ts fit` trains (Trainer.fit guards the run); `bare` awaits the same
 * loader outside the Trainer (Node's own behaviour: exit 0 without a word).
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { SGD, Trainer } from '../src/index.js';
import { crossEntropy, toyBatches, toyModel, type ToyBatch } from './helpers.js';

async function* stalledLoader(): AsyncGenerator<ToyBatch> {
  yield* toyBatches(2, 4, 1);
  const worker = new Worker('setInterval(() => {}, 1e9);', { eval: true });
  const answer = new Promise<ToyBatch>((resolve) => worker.once('message', resolve));
  worker.unref(); // after the listener, which refs the port again
  yield await answer;
}

// As the example scripts do: main() not awaited at the top level (a pending top-level await would exit 13).
async function main(): Promise<void> {
  await tf.setBackend('cpu');
  if (process.argv[2] === 'bare') {
    for await (const b of stalledLoader()) void b;
  } else {
    const trainer = new Trainer<ToyBatch>({ model: toyModel(), loss: crossEntropy, optimizer: new SGD({ learningRate: 0.1 }), progress: 'none' });
    await trainer.fit({ batches: () => stalledLoader() }, { epochs: 1 });
  }
  console.log('finished');
}

main().catch((err: unknown) => {
  console.error(String(err));
  process.exitCode = 1;
});
