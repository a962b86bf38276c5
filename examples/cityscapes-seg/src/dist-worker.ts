/** One `--dist` rank (a worker thread started by train.ts through `launchDataParallel`): its shard of every global batch. */
import { runDataParallelWorker } from '@hrnet/train';
import type { SegConfig } from './config.js';
import type { SegEvaluation } from './evaluate.js';
import { trainSegmentation, type TrainSegOptions } from './train-seg.js';

export interface DistWorkerData {
  cfg: SegConfig;
  /** Plain data only (it crosses the thread boundary); `datadir` is required. */
  opts: Pick<TrainSegOptions, 'datadir' | 'maxEpochs' | 'outputDir' | 'resume' | 'initWeights' | 'amp' | 'threads'> & { syncBn?: boolean };
}

export interface DistWorkerResult {
  rank: number;
  backend: string;
  steps: number;
  finalLoss?: number;
  checkpoint?: string;
  seconds: number;
  evaluation?: SegEvaluation;
  weightsDigests?: { start: string; end: string };
}

runDataParallelWorker(async (ctx): Promise<DistWorkerResult> => {
  const { cfg, opts } = ctx.data as DistWorkerData;
  const { syncBn, ...rest } = opts;
  const r = await trainSegmentation(cfg, { ...rest, dist: { ...ctx, syncBn } });
  return {
    rank: ctx.rank,
    backend: r.backend,
    steps: r.fit.steps,
    finalLoss: r.fit.history.at(-1)?.avgLoss,
    checkpoint: r.checkpoint,
    seconds: r.seconds,
    evaluation: r.evaluation,
    weightsDigests: r.weightsDigests,
  };
});
