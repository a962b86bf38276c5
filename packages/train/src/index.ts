export { Trainer, type FitOptions, type FitResult, type ImageBatchLike, type MetricFn, type ModelOutputs, type TrainerEvent, type TrainerOptions } from './trainer.js';
export { batchesPerEpoch, epochBatches, type DataSource, type TrainData } from './data-source.js';
export { SGD, type SGDOptions } from './sgd.js';
export { constantSchedule, cosineSchedule, type CosineScheduleOptions, type LrSchedule } from './lr-schedule.js';
export { createLrSchedule, createOptimizer } from './optimizer-factory.js';
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
  loadConfig,
  optimizerConfigSchema,
  parseConfig,
  schedulerConfigSchema,
  trainConfigSchema,
  type OptimizerConfig,
  type SchedulerConfig,
  type TrainConfig,
} from './config.js';
export { ArgsError, parseTrainArgs, TRAIN_ARGS_USAGE, type TrainArgs } from './cli-args.js';
