import { CheckpointError, readCheckpointMeta } from './checkpoint.js';

/**
 * Looks at a `--resume` checkpoint before a run starts. Returns the line to print when it has already completed
 * `epochs` epochs (the script then exits 0 without training: there is nothing left, and an evaluation of zero
 * epochs would print NaN); throws {@link CheckpointError} when `beginEpoch` (MindSpore's BEGIN_EPOCH) is given and
 * differs from the checkpoint's epoch. A file that is not a training checkpoint passes (its loader reports it).
 */
export async function checkResume(file: string, epochs: number, beginEpoch?: number): Promise<string | undefined> {
  const meta = await readCheckpointMeta(file).catch(() => undefined);
  if (!meta) return undefined;
  if (beginEpoch != null && beginEpoch !== meta.epoch) throw new CheckpointError(`${file} completed epoch ${meta.epoch}, not the begin epoch ${beginEpoch} that was given`);
  if (meta.epoch < epochs) return undefined;
  return `${file} already completed epoch ${meta.epoch} of ${epochs}: nothing to train (to continue, raise --max_epochs above ${meta.epoch})`;
}
