/** The training run the fault-injection test kills: seeded toy model, 5 batches per epoch, a checkpoint every epoch. */
import { appendFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { CheckpointManager, SGD, Trainer, type DataSource } from '../src/index.js';
import { crossEntropy, distToyModel, toyBatches, type ToyBatch } from './helpers.js';

export const FAULT_EPOCHS = 12;

/** A different batch order every epoch, as a seeded shuffle gives. */
const data: DataSource<ToyBatch> = {
  length: 5,
  batches(epoch) {
    const all = toyBatches(5, 16, 7);
    return all.map((_, i) => all[(i * 2 + epoch) % 5]);
  },
};

/** Trains into `dir` (resuming from its newest checkpoint), calling `onStep(globalStep, loss)` per update. */
export async function faultRun(dir: string, onStep: (step: number, loss: number) => void): Promise<void> {
  await tf.setBackend('cpu');
  const trainer = new Trainer<ToyBatch>({
    model: distToyModel(true),
    loss: crossEntropy,
    optimizer: new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
    progress: 'none',
    onLog: (e) => e.type === 'step' && onStep(e.globalStep, e.loss),
  });
  const manager = new CheckpointManager({ dir, keepMax: 3 });
  const resume = await manager.latest();
  await trainer.fit(data, { epochs: FAULT_EPOCHS, checkpoint: manager, resume });
}

// Run as a script (`tsx fault-training.ts <dir> <loss log>`): every step appended to the log as it happens.
if (process.argv[1]?.endsWith('fault-training.ts')) {
  const [dir, log] = process.argv.slice(2);
  let first = true;
  await faultRun(dir, (step, loss) => {
    appendFileSync(log, `${step} ${loss}\n`);
    if (first) process.stdout.write('training\n'); // the parent's kill timer starts at the first update
    first = false;
  });
}
