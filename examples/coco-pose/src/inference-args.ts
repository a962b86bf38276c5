import { ArgsError, parseBooleanFlag, parseFlags, type FlagOptions } from '@hrnet/train/cli';

/** The flags of a script that runs a trained model (valid.ts, predict.ts), parsed. */
export interface InferenceArgs {
  help: boolean;
  /** Model directory, training checkpoint or PyTorch weights. */
  ckpt?: string;
  /** Config file (default: the one stored with the checkpoint). */
  cfg?: string;
  out?: string;
  /** Flip test; undefined: the config's TEST.FLIP_TEST. */
  flip?: boolean;
  /** Test scales; undefined: the config's TEST.SCALE_FACTOR. */
  scales?: number[];
  /** `--runtime tfjs|onnx` (checked by @hrnet/deploy's `runtimeModel`); undefined: tfjs. */
  runtime?: 'tfjs' | 'onnx';
  /** The script's own flags as given (strings, or string lists for `multiple` ones). */
  values: Record<string, string | string[] | boolean | undefined>;
}

/** `--scales 0.5,1,2`: positive numbers separated by commas. */
function parseScales(v: string): number[] {
  const scales = v.split(',').map((s) => s.trim());
  const nums = scales.map(Number);
  if (scales.some((s) => s === '') || nums.some((n) => !(n > 0) || !Number.isFinite(n))) throw new ArgsError(`--scales expects positive numbers separated by commas, got '${v}'`);
  return nums;
}

/**
 * The command line of a script that runs a trained model: --ckpt, --cfg, --out, --runtime, the test-time options that
 * override the config's TEST block (--flip, --scales) and -h, plus the script's own `options`; strict, as
 * `@hrnet/train`'s `parseFlags`, so an unknown flag is an error naming it.
 */
export function parseInferenceArgs(argv: readonly string[], options: FlagOptions): InferenceArgs {
  const values = parseFlags(argv, { ckpt: { type: 'string' }, cfg: { type: 'string' }, out: { type: 'string' }, scales: { type: 'string' }, runtime: { type: 'string' }, ...options }, ['flip']);
  const s = (k: string) => values[k] as string | undefined;
  const flip = s('flip');
  const scales = s('scales');
  return {
    help: values.help === true,
    ckpt: s('ckpt'),
    cfg: s('cfg'),
    out: s('out'),
    flip: flip != null ? parseBooleanFlag('flip', flip) : undefined,
    scales: scales != null ? parseScales(scales) : undefined,
    runtime: s('runtime') as InferenceArgs['runtime'],
    values,
  };
}
