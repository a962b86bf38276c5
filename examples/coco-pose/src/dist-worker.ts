/** One `--dist` rank (a worker thread started by train.ts through `launchDataParallel`): its shard of every global batch. */
import { runDataParallelWorker } from '@hrnet/train';
import type { PoseConfig } from './config.js';
import { trainPose, type TrainPoseOptions, type TrainPoseResult } from './train-pose.js';

export interface DistWorkerData {
  cfg: PoseConfig;
  /** Plain data only (it crosses the thread boundary); `datadir` is required. */
  opts: Pick<TrainPoseOptions, 'datadir' | 'maxEpochs' | 'maxSteps' | 'outputDir' | 'resume' | 'force' | 'initWeights' | 'amp' | 'threads'> & { syncBn?: boolean };
}

export interface DistWorkerResult {
  rank: number;
  backend: string;
  steps: number;
  epochs: number;
  finalLoss?: number;
  modelDir?: string;
  checkpoint?: string;
  seconds: number;
  weightsDigests?: TrainPoseResult['weightsDigests'];
}

runDataParallelWorker(async (ctx): Promise<DistWorkerResult> => {
  const { cfg, opts } = ctx.data as DistWorkerData;
  const { syncBn, ...rest } = opts;
  const r = await trainPose(cfg, { ...rest, dist: { ...ctx, syncBn } });
  return {
    rank: ctx.rank,
    backend: r.backend,
    steps: r.fit.steps,
    epochs: r.fit.history.length,
    finalLoss: r.fit.history.at(-1)?.avgLoss,
    modelDir: r.modelDir,
    checkpoint: r.checkpoint,
    seconds: r.seconds,
    weightsDigests: r.weightsDigests,
  };
});
