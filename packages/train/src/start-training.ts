import type { TrainArgs } from './cli-args.js';
import type { DataParallelOptions } from './join-data-parallel.js';
import { startDataParallel, type TrainingRank } from './launch.js';
import type { ProgressMode } from './progress.js';
import { checkResume } from './resume-check.js';
import type { TrainerEvent } from './trainer.js';

/** The options every family's training function takes from the command line and its rank. */
export interface TrainingRunOptions {
  /** Data-parallel context of a `--dist` / mpirun rank; `syncBn`: `--sync_bn`. */
  dist?: DataParallelOptions;
  /** Backend threads (default: all cores; each rank gets its share). */
  threads?: number;
  /** Dataset root (`--datadir`); absent: the config's generated data set. */
  datadir?: string;
  /** Overrides the config's last epoch (`--max_epochs`). */
  maxEpochs?: number;
  /** A training checkpoint to continue from (weights, optimizer, step, epoch; `--resume`). */
  resume?: string;
  /** Train into an output folder holding another run's checkpoints (`--force`). */
  force?: boolean;
  /** Weights to start from (`--ckpt_path`): a training checkpoint or the official PyTorch weights. */
  initWeights?: string;
  /** Dynamic loss scaling (`--amp`). */
  amp?: boolean;
}

/** {@link TrainingRunOptions} and what every family's training function takes from a program or test. */
export interface TrainingOptions extends TrainingRunOptions {
  /** Where to generate the synthetic data set (kept); default a temp dir removed at the end. */
  syntheticDir?: string;
  /** Checkpoint folder; none written when absent. */
  outputDir?: string;
  progress?: ProgressMode;
  /** Status lines. Default console.log. */
  log?: (line: string) => void;
  onLog?: (event: TrainerEvent) => void;
  /** Keep the trained model (default: disposed). */
  keepModel?: boolean;
}

/**
 * A training script's start once its flags and config are read: a `--resume` checkpoint that already holds
 * the last epoch is said and nothing runs; `--amp` says what it does; then
 * {@link startDataParallel}. Resolves with this process's rank and the options the family's trainer takes
 * from the flags, or undefined when this process has nothing left to do (finished, or it launched the ranks).
 * `endEpoch` is the config's last epoch; `perRank` names what one rank takes of each step, for the log.
 */
export async function startTraining(args: TrainArgs, opts: { endEpoch: number; perRank: string }): Promise<{ rank: TrainingRank; options: TrainingRunOptions } | undefined> {
  if (args.resume) {
    const finished = await checkResume(args.resume, args.max_epochs ?? opts.endEpoch);
    if (finished) {
      console.log(finished);
      return undefined;
    }
  }
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (float16 convolutions on webgpu with shader-f16, float32 elsewhere: the backend\'s amp line says which)');
  const rank = await startDataParallel(args, opts.perRank);
  if (!rank) return undefined;
  return {
    rank,
    options: {
      dist: rank.dist,
      threads: rank.threads,
      datadir: args.datadir,
      maxEpochs: args.max_epochs,
      resume: args.resume,
      force: args.force,
      initWeights: args.ckpt_path,
      amp: args.amp,
    },
  };
}

/**
 * The part a process plays in a family's training function: its data-parallel context (undefined in one
 * process), whether it reports (rank 0, or the only process), and its status-line logger (`opts.log`,
 * default console.log; silent on the other ranks).
 */
export function runRole(opts: Pick<TrainingOptions, 'dist' | 'log'>): { dist?: DataParallelOptions; isMain: boolean; log: (line: string) => void } {
  const dist = opts.dist && opts.dist.worldSize > 1 ? opts.dist : undefined;
  const isMain = !dist || dist.rank === 0;
  return { dist, isMain, log: isMain ? (opts.log ?? ((line) => console.log(line))) : () => {} };
}
