import { ArgsError, parseBooleanFlag, parseFlags, type FlagOptions } from '@hrnet/train/cli';

/** The command line of valid.ts / predict.ts: --ckpt, --cfg, --flip, --scales (over the config's TEST block), plus the script's own flags; strict. */
export function parseInferenceArgs(argv: readonly string[], options: FlagOptions) {
  const values = parseFlags(argv, { ckpt: { type: 'string' }, cfg: { type: 'string' }, scales: { type: 'string' }, ...options }, ['flip']);
  const s = (k: string) => values[k] as string | undefined;
  const scales = s('scales')?.split(',').map((v) => v.trim());
  if (scales && scales.some((v) => !(Number(v) > 0) || !Number.isFinite(Number(v)))) throw new ArgsError(`--scales expects positive numbers separated by commas, got '${s('scales')}'`);
  for (const k of ['ckpt', 'cfg', ...Object.keys(options)]) if (s(k) === '') throw new ArgsError(`--${k} expects a value`);
  return {
    help: values.help === true,
    ckpt: s('ckpt'),
    cfg: s('cfg'),
    flip: s('flip') != null ? parseBooleanFlag('flip', s('flip')!) : undefined,
    scales: scales?.map(Number),
    values,
  };
}
