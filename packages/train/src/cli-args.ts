import { parseArgs } from 'node:util';
import { BAD_SAMPLE_POLICIES, isBadSamplePolicy, type BadSamplePolicy } from '@hrnet/core';

/** The standard flags of a training script (mindcv / timm names). */
export interface TrainArgs {
  /** YAML config file. */
  cfg?: string;
  /** Dataset root (`<datadir>/{train,val}/<class>/...`). */
  datadir?: string;
  /** Overrides the config's `epochs`. */
  max_epochs?: number;
  /** Dynamic loss scaling (tfjs' CPU backends have no float16 compute: no half precision here). */
  amp?: boolean;
  /** Data-parallel training in this many worker threads (1 = off). */
  dist?: number;
  /** Synchronized BatchNorm statistics across `--dist` workers. */
  sync_bn?: boolean;
  /** Where checkpoints go (MindCV `ckpt_save_dir`). */
  ckpt_save_dir?: string;
  /** Checkpoint to resume training from (weights, optimizer, epoch). */
  resume?: string;
  /** Checkpoint to initialise the model weights from. */
  ckpt_path?: string;
  /** Train into a `--ckpt_save_dir` holding another run's checkpoints (same-named files replaced, the rest kept). */
  force?: boolean;
  /** What a sample that cannot be read does: skipped and counted (default), or the run stops naming it. */
  bad_samples?: BadSamplePolicy;
  help?: boolean;
}

export const TRAIN_ARGS_USAGE = `options:
  --cfg <file.yaml>     training config
  --datadir <dir>       dataset root with train/ and val/ class folders
  --max_epochs <n>      override the config's epochs
  --amp [true|false]    dynamic loss scaling (no float16 compute on tfjs cpu/wasm)
  --dist <n>            data-parallel training in n worker threads on this machine
  --sync_bn [true|false] synchronized BatchNorm across the --dist workers
  --resume <ckpt>       resume training from a checkpoint
  --ckpt_path <ckpt>    initialise weights from a checkpoint (ours, or timm/PyTorch weights)
  --ckpt_save_dir <dir> where checkpoints are written
  --force [true|false]  train into a --ckpt_save_dir holding another run (same-named files replaced, the rest kept)
  --bad_samples <skip|fail> unreadable / missing images: skipped and counted (default), or stop naming them
  -h, --help            show this help
Values may be given as "--flag value" or "--flag=value".`;

const TRUE = /^(true|1|yes|on)$/i;
const FALSE = /^(false|0|no|off)$/i;

/** A bad command line; the message names the flag. */
export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgsError';
  }
}

/** A boolean flag's value: true/1/yes/on or false/0/no/off, any case. */
export function parseBooleanFlag(flag: string, value: string): boolean {
  if (TRUE.test(value)) return true;
  if (FALSE.test(value)) return false;
  throw new ArgsError(`--${flag} expects true or false, got '${value}'`);
}

function toPositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ArgsError(`--${flag} expects a positive integer, got '${value}'`);
  }
  return n;
}

/**
 * What a training script requires of its flags beyond their syntax (checked after `--help` is handled):
 * a config, and data-parallel workers for `--sync_bn`.
 */
export function checkTrainArgs(args: TrainArgs): asserts args is TrainArgs & { cfg: string } {
  if (!args.cfg) throw new ArgsError('--cfg <config.yaml> is required');
  if (args.sync_bn && !(args.dist != null && args.dist > 1)) throw new ArgsError('--sync_bn needs --dist N with N > 1');
}

/** `node:util` `parseArgs` option configs, e.g. `{ cfg: { type: 'string' } }`. */
export type FlagOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/**
 * A script's command line with `node:util` `parseArgs`, strict: unknown flags and positionals are
 * {@link ArgsError}s naming them. `--flag value` and `--flag=value` are both accepted, and `-h/--help`
 * is added. The `booleans` (not in `options`) also take no value (`--amp`) or an explicit one
 * (`--amp false`, `--amp=0`); they come back as strings for {@link parseBooleanFlag}.
 */
export function parseFlags(
  argv: readonly string[],
  options: FlagOptions,
  booleans: readonly string[] = [],
): Record<string, string | string[] | boolean | undefined> {
  // parseArgs' boolean options reject "--amp=false"; make them strings with an explicit value.
  const bare = new Set(booleans.map((b) => `--${b}`));
  const normalized: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (bare.has(arg)) {
      const next = argv[i + 1];
      if (next != null && (TRUE.test(next) || FALSE.test(next))) {
        normalized.push(`${arg}=${next}`);
        i++;
      } else {
        normalized.push(`${arg}=true`);
      }
    } else if (options[arg.slice(2)]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) {
      // `--max_epochs -1`: parseArgs would read "-1" as a short option ("ambiguous"); it is the value, checked later.
      normalized.push(`${arg}=${argv[++i]}`);
    } else {
      normalized.push(arg);
    }
  }
  const all: FlagOptions = { ...options, help: { type: 'boolean', short: 'h' } };
  for (const b of booleans) all[b] = { type: 'string' };
  try {
    return parseArgs({ args: normalized, strict: true, allowPositionals: false, options: all }).values as Record<string, string | string[] | boolean | undefined>;
  } catch (err) {
    throw new ArgsError((err as Error).message);
  }
}

/**
 * Parses training flags with {@link parseFlags} (strict: unknown flags and positionals are errors).
 * `--flag value` and `--flag=value` are both accepted; the boolean flags also take no value (`--amp`)
 * or an explicit one (`--amp false`, `--amp=0`).
 */
export function parseTrainArgs(argv: readonly string[] = process.argv.slice(2)): TrainArgs {
  const values = parseFlags(
    argv,
    {
      cfg: { type: 'string' },
      datadir: { type: 'string' },
      max_epochs: { type: 'string' },
      dist: { type: 'string' },
      ckpt_save_dir: { type: 'string' },
      resume: { type: 'string' },
      ckpt_path: { type: 'string' },
      bad_samples: { type: 'string' },
    },
    ['amp', 'sync_bn', 'force'],
  );
  const str = (k: string) => values[k] as string | undefined;
  const args: TrainArgs = {};
  if (str('cfg') != null) args.cfg = str('cfg');
  if (str('datadir') != null) args.datadir = str('datadir');
  if (str('max_epochs') != null) args.max_epochs = toPositiveInt('max_epochs', str('max_epochs')!);
  if (str('amp') != null) args.amp = parseBooleanFlag('amp', str('amp')!);
  if (str('dist') != null) args.dist = toPositiveInt('dist', str('dist')!);
  if (str('sync_bn') != null) args.sync_bn = parseBooleanFlag('sync_bn', str('sync_bn')!);
  if (str('ckpt_save_dir') != null) args.ckpt_save_dir = str('ckpt_save_dir');
  if (str('resume') != null) args.resume = str('resume');
  if (str('ckpt_path') != null) args.ckpt_path = str('ckpt_path');
  if (str('force') != null) args.force = parseBooleanFlag('force', str('force')!);
  if (str('bad_samples') != null) {
    const v = str('bad_samples')!;
    if (!isBadSamplePolicy(v)) throw new ArgsError(`--bad_samples expects ${BAD_SAMPLE_POLICIES.join(' or ')}, got '${v}'`);
    args.bad_samples = v;
  }
  if (values.help) args.help = true;
  for (const k of ['cfg', 'datadir', 'resume', 'ckpt_path', 'ckpt_save_dir'] as const) {
    if (args[k] === '') throw new ArgsError(`--${k} expects a value`);
  }
  return args;
}
