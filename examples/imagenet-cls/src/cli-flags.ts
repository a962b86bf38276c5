import { ArgsError, type FlagOptions } from '@hrnet/train/cli';

/** The config flag of validate.ts and predict.ts under its names: ours `--cfg`, MindCV's `--config` / `-c`. */
export const CONFIG_FLAGS: FlagOptions = { cfg: { type: 'string', short: 'c' }, config: { type: 'string' } };

/** The config file given with {@link CONFIG_FLAGS}; required. */
export function configFlag(values: Record<string, unknown>): string {
  if (values.cfg != null && values.config != null) throw new ArgsError('--cfg and --config are the same flag: give one');
  const file = (values.cfg ?? values.config) as string | undefined;
  if (!file) throw new ArgsError('--cfg is required');
  return file;
}
