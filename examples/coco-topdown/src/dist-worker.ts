/** One `--dist` rank (a worker thread started by train.ts through `launchDataParallel`): its share of every global batch. */
import { runDataParallelWorker } from '@hrnet/train';
import type { TopDownExampleConfig } from './config.js';
import { trainTopDown, type TrainTopDownOptions, type TrainTopDownResult } from './train-topdown.js';

export interface DistWorkerData {
  cfg: TopDownExampleConfig;
  /** Plain data only (it crosses the thread boundary); `datadir` is required. */
  opts: Pick<TrainTopDownOptions, 'datadir' | 'maxEpochs' | 'outputDir' | 'resume' | 'initWeights' | 'amp' | 'threads'> & { syncBn?: boolean };
}

export interface DistWorkerResult {
  rank: number;
  backend: string;
  steps: number;
  finalLoss?: number;
  checkpoint?: string;
  weightsDigests?: TrainTopDownResult['weightsDigests'];
}

runDataParallelWorker(async (ctx): Promise<DistWorkerResult> => {
  const { cfg, opts } = ctx.data as DistWorkerData;
  const { syncBn, ...rest } = opts;
  const r = await trainTopDown(cfg, { ...rest, dist: { ...ctx, syncBn } });
  return { rank: ctx.rank, backend: r.backend, steps: r.fit.steps, finalLoss: r.fit.history.at(-1)?.avgLoss, checkpoint: r.checkpoint, weightsDigests: r.weightsDigests };
});
