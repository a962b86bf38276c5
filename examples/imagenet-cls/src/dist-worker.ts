/** One `--dist` rank: trains its shard of every global batch (see train.ts). */
import { runDataParallelWorker } from '@hrnet/train';
import type { ClassificationConfig } from './config.js';
import { trainClassifier, type TrainClassifierOptions, type TrainClassifierResult } from './train-classifier.js';

export interface DistWorkerData {
  cfg: ClassificationConfig;
  opts: Omit<TrainClassifierOptions, 'dist' | 'stream' | 'log'> & { syncBn?: boolean };
}

runDataParallelWorker(async (ctx): Promise<Omit<TrainClassifierResult, 'fit'> & { history: TrainClassifierResult['fit']['history'] }> => {
  const { cfg, opts } = ctx.data as DistWorkerData;
  const { fit, ...rest } = await trainClassifier(cfg, { ...opts, dist: { ...ctx, syncBn: opts.syncBn } });
  return { ...rest, history: fit.history };
});
