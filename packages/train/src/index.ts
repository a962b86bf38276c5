export {
  Trainer,
  type FitOptions,
  type FitResult,
  type GradientReducer,
  type ImageBatchLike,
  type MetricFn,
  type MicroBatchReport,
  type ModelOutputs,
  type StepResult,
  type TrainerEvent,
  type TrainerModelOptions,
  type TrainerOptions,
  type TrainerRunOptions,
} from './trainer.js';
export { TrainingDivergedError } from './finite-guard.js';
export {
  defaultMicroBatchCacheFile,
  imageBatchSlicer,
  isOutOfMemoryError,
  readMicroBatchCache,
  type BatchSlicer,
  type MicroBatchOptions,
  type MicroBatchRecord,
} from './micro-batch.js';
export { batchesPerEpoch, epochBatches, type DataSource, type TrainData } from './data-source.js';
export {
  HrnetOptimizer,
  decayAll,
  decayFilterByName,
  decayMindSpore,
  decayRank2Plus,
  type BaseOptimizerOptions,
  type DecayFilter,
  type DecayFilterName,
  type OptimizerState,
} from './optimizer-base.js';
export { SGD, type SGDOptions } from './sgd.js';
export { RMSProp, type RMSPropOptions } from './rmsprop.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export {
  constantSchedule,
  cosineSchedule,
  epochSchedule,
  polySchedule,
  type CosineScheduleOptions,
  type DescribedSchedule,
  type EpochScheduleOptions,
  type LrSchedule,
  type ScheduleName,
} from './lr-schedule.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  CheckpointManager,
  encodeCheckpoint,
  isTrainCheckpoint,
  loadCheckpoint,
  readCheckpointMeta,
  restoreModelWeights,
  restoreOptimizerState,
  saveCheckpoint,
  type CheckpointContents,
  type CheckpointManagerOptions,
  type CheckpointMeta,
  type LoadedCheckpoint,
} from './checkpoint.js';
export {
  DynamicLossScaler,
  StaticLossScaler,
  type DynamicLossScalerOptions,
  type LossScaler,
  type LossScalerState,
  type StaticLossScalerOptions,
} from './loss-scale.js';
// The Trainer's RNG is @hrnet/core's; re-exported here as documented.
export { SeededRng, writeFileAtomic } from '@hrnet/core';
export {
  allReduceBuckets,
  CollectiveTimeoutError,
  collectiveTimeoutMs,
  DEFAULT_BUCKET_FLOATS,
  DistAbortError,
  type Collective,
  type CollectiveBackend,
} from './collective.js';
export { ProcessCollective } from './collective-process.js';
export { MpiCollective } from './collective-mpi.js';
export {
  dataParallelRole,
  dataParallelWorld,
  joinWorld,
  launchProcesses,
  rankAdapter,
  rankDeviceEnv,
  resolveWorldSize,
  startDataParallel,
  visibleDevices,
  type DataParallelRole,
  type LaunchProcessesOptions,
  type TrainingRank,
} from './launch.js';
export { rankFromEnv, type RankEnv } from './rank-env.js';
export {
  Communicator,
  distGradientReducer,
  getDistContext,
  launchDataParallel,
  runDataParallelWorker,
  syncBatchNorm,
  type DistContext,
  type LaunchDataParallelOptions,
} from './dist.js';
export { broadcastWeightsFromRank0, joinDataParallel, weightsDigest, type DataParallelJoin, type DataParallelOptions } from './join-data-parallel.js';
// The loss lives in @hrnet/core (model families use it too); re-exported here as documented.
export { crossEntropy, type CrossEntropyOptions } from '@hrnet/core';
export { clipGradNorm, clipGradValue, type GradClipOptions } from './grad-clip.js';
export { createLossScaler, createLrSchedule, createOptimizer } from './optimizer-factory.js';
export {
  BarProgress,
  createProgress,
  formatEpochLine,
  PlainProgress,
  type EpochLog,
  type EvalResult,
  type ProgressMode,
  type ProgressReporter,
  type StepLog,
} from './progress.js';
export {
  ConfigError,
  checkpointConfigSchema,
  configName,
  loadConfig,
  lossScaleConfigSchema,
  microBatchConfigSchema,
  optimizerConfigSchema,
  parseConfig,
  schedulerConfigSchema,
  trainConfigSchema,
  type CheckpointConfig,
  type LoadConfigOptions,
  type LossScaleConfig,
  type OptimizerConfig,
  type OptimizerConfigInput,
  type SchedulerConfig,
  type SchedulerConfigInput,
  type TrainConfig,
} from './config.js';
export { applyConfigOverrides, parseOverrideValue } from './config-overrides.js';
export { checkResume } from './resume-check.js';
export { runRole, startTraining, type TrainingOptions, type TrainingRunOptions } from './start-training.js';
// The command-line helpers, also at the light subpath `@hrnet/train/cli` (no TensorFlow.js import).
export * from './cli.js';
