import type { TrainArgs } from './cli-args.js';
import { startDataParallel, type TrainingRank } from './launch.js';
import { checkResume } from './resume-check.js';

/** The trainer options every family's training script passes on from the command line and its rank. */
export interface TrainingRunOptions {
  dist?: TrainingRank['dist'];
  threads?: number;
  datadir?: string;
  maxEpochs?: number;
  resume?: string;
  force?: boolean;
  /** `--ckpt_path`: weights to start from. */
  initWeights?: string;
  amp?: boolean;
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
