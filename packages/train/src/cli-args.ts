import { parseArgs } from 'node:util';
import type { BadSamplePolicy } from '@hrnet/core';
import { rankFromEnv } from './rank-env.js';

// core's policies, checked against its type both ways; spelled here because this entry loads no TensorFlow.js.
const BAD_SAMPLE_POLICIES = { skip: true, fail: true } satisfies Record<BadSamplePolicy, true>;

/** A config key set on the command line: MindCV's `--key value` or a yacs `KEY VALUE` pair after the flags. */
export interface ConfigOverride {
  /** The key, dotted for nested sections (`TRAIN.IMAGES_PER_GPU`, `optimizer.lr`, MindCV's flat `lr`). */
  key: string;
  /** The value as typed; {@link parseOverrideValue} reads it as a YAML scalar or list. */
  value: string;
  /** How it was given (`--lr 0.1`, `TRAIN.IMAGES_PER_GPU 4`), for error messages. */
  given: string;
}

/** The standard flags of a training script (mindcv / timm / HigherHRNet names). */
export interface TrainArgs {
  /** YAML config file (`--cfg`; MindCV `--config` / `-c`). */
  cfg?: string;
  /** Dataset root (`--datadir`; MindCV `--data_dir`). */
  datadir?: string;
  /** Overrides the config's `epochs`. */
  max_epochs?: number;
  /** Dynamic loss scaling (tfjs' CPU backends have no float16 compute: no half precision here). */
  amp?: boolean;
  /** Data-parallel ranks; `'all'` = bare `--dist`: every device (`dataParallelWorld`). */
  dist?: number | 'all';
  /** MindCV `--distribute True|False`: data parallel over every device, or explicitly not. */
  distribute?: boolean;
  /** Synchronized BatchNorm statistics across `--dist` workers. */
  sync_bn?: boolean;
  /** GPU of each data-parallel rank (`--device 0,1`): its `CUDA_VISIBLE_DEVICES` / webgpu adapter index. */
  device?: number[];
  /** Where checkpoints go (MindCV `ckpt_save_dir`). */
  ckpt_save_dir?: string;
  /** Checkpoint to resume training from (weights, optimizer, epoch). */
  resume?: string;
  /** Checkpoint to initialise the model weights from. */
  ckpt_path?: string;
  /** Start from the published pretrained weights (`true`: the default tag), downloaded once into the cache. */
  pretrained?: true | string;
  /** Config keys set on the command line, in order (absent when none). */
  overrides?: ConfigOverride[];
  /** Train into a `--ckpt_save_dir` holding another run's checkpoints (same-named files replaced, the rest kept). */
  force?: boolean;
  /** What a sample that cannot be read does: skipped and counted (default), or the run stops naming it. */
  bad_samples?: BadSamplePolicy;
  help?: boolean;
}

export const TRAIN_ARGS_USAGE = `options:
  --cfg <file.yaml>     training config (MindCV: --config, -c)
  --datadir <dir>       dataset root (MindCV: --data_dir)
  --max_epochs <n>      override the config's epochs
  --amp [true|false]    dynamic loss scaling (no float16 compute on tfjs cpu/wasm)
  --dist [n]            data-parallel training in n processes on this machine (or: mpirun -n <n> <script> ...);
                        bare --dist: one per GPU device (one process on a CPU-only machine)
  --distribute [True|False] MindCV's switch: True is bare --dist, False trains in one process
  --sync_bn [true|false] synchronized BatchNorm across the --dist workers
  --device <i,j,...>    GPU of each data-parallel rank (default: rank modulo the visible GPUs)
  --resume <ckpt>       resume training from a checkpoint
  --ckpt_path <ckpt>    initialise weights from a checkpoint (ours, or timm/PyTorch weights)
  --pretrained [tag]    start from timm's published ImageNet weights (downloaded once to ~/.cache/hrnet)
  --ckpt_save_dir <dir> where checkpoints are written
  --force [true|false]  train into a --ckpt_save_dir holding another run (same-named files replaced, the rest kept)
  --bad_samples <skip|fail> unreadable / missing images: skipped and counted (default), or stop naming them
  --<key> <value>       set a config key (MindCV's argparse style: --batch_size 64, --lr 0.01; nested: --optimizer.lr 0.01)
  KEY VALUE ...         set config keys after the flags (HigherHRNet's yacs style: TRAIN.IMAGES_PER_GPU 4)
  --debug               print the stack of an error (also DEBUG=1)
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

function toNonNegativeInt(flag: string, item: string, value: string): number {
  if (!/^\d+$/.test(item.trim())) throw new ArgsError(`--${flag} expects comma-separated device indices, got '${value}'`);
  return Number(item);
}

/**
 * What a training script requires of its flags beyond their syntax (checked after `--help` is handled):
 * a config, and data-parallel workers for `--sync_bn`.
 */
export function checkTrainArgs(args: TrainArgs): asserts args is TrainArgs & { cfg: string } {
  if (!args.cfg) throw new ArgsError('--cfg <config.yaml> is required');
  const ranks = rankFromEnv()?.worldSize ?? 1;
  if (args.sync_bn && !(args.dist === 'all' || (args.dist != null && args.dist > 1)) && ranks === 1) throw new ArgsError('--sync_bn needs --dist N with N > 1 (or mpirun -n N)');
}

/**
 * A training script's prologue: parses its command line ({@link parseTrainArgs}); on `--help` prints `usage` and
 * returns undefined; otherwise checks the flags ({@link checkTrainArgs}).
 */
export function trainCommandLine(argv: readonly string[], usage: string): (TrainArgs & { cfg: string }) | undefined {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(usage);
    return undefined;
  }
  checkTrainArgs(args);
  return args;
}

/** `node:util` `parseArgs` option configs, e.g. `{ cfg: { type: 'string' } }`. */
export type FlagOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/**
 * A script's command line with `node:util` `parseArgs`, strict: unknown flags and positionals are
 * {@link ArgsError}s naming them. `--flag value` and `--flag=value` are both accepted, and `-h/--help`
 * and `--debug` (read by `runScript`) are added. The `booleans` (not in `options`) also take no value (`--amp`) or
 * an explicit one (`--amp false`, `--amp=0`); they come back as strings for {@link parseBooleanFlag}.
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
      if (next != null && isBooleanWord(next)) {
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
  const all: FlagOptions = { ...options, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } };
  for (const b of booleans) all[b] = { type: 'string' };
  try {
    return parseArgs({ args: normalized, strict: true, allowPositionals: false, options: all }).values as Record<string, string | string[] | boolean | undefined>;
  } catch (err) {
    throw new ArgsError((err as Error).message);
  }
}

const isBooleanWord = (v: string) => TRUE.test(v) || FALSE.test(v);

const TRAIN_OPTIONS: FlagOptions = {
  cfg: { type: 'string', short: 'c' },
  config: { type: 'string' },
  datadir: { type: 'string' },
  data_dir: { type: 'string' },
  max_epochs: { type: 'string' },
  dist: { type: 'string' },
  ckpt_save_dir: { type: 'string' },
  resume: { type: 'string' },
  ckpt_path: { type: 'string' },
  pretrained: { type: 'string' },
  device: { type: 'string' },
  bad_samples: { type: 'string' },
};
const TRAIN_BOOLEANS = ['amp', 'sync_bn', 'distribute', 'force'];
/** A yacs key as HigherHRNet's configs spell them: upper-case sections joined by dots. */
const YACS_KEY = /^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$/;
const CONFIG_KEY = /^[A-Za-z_][\w-]*(\.[\w-]+)*$/;

/**
 * {@link parseFlags} for a script that also takes config keys: an unknown `--key value` (MindCV's argparse has a
 * flag per config key; bare, it is `True` as MindCV's str2bool flags) and `KEY VALUE` pairs after the flags
 * (HigherHRNet's `opts`) come back as `overrides`, in order. A `dist` option may be bare (`--dist=all`).
 */
export function parseFlagsWithOverrides(
  argv: readonly string[],
  options: FlagOptions,
  booleans: readonly string[] = [],
): { values: ReturnType<typeof parseFlags>; overrides: ConfigOverride[] } {
  const known = new Set([...Object.keys(options), ...booleans, 'help', 'debug']);
  const shortWithValue = new Set(Object.values(options).filter((o) => o.type === 'string' && o.short).map((o) => o.short!));
  const flags: string[] = [];
  const overrides: ConfigOverride[] = [];
  const positionals: string[] = [];
  const isFlag = (a: string | undefined) => a != null && /^--?[A-Za-z]/.test(a);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq < 0 ? undefined : eq);
    const next = argv[i + 1];
    if (!arg.startsWith('--')) {
      // short flags (-c <file>, -h); parseFlags reports any other
      flags.push(arg);
      if (shortWithValue.has(name) && eq < 0 && next != null && !isFlag(next)) flags.push(argv[++i]);
    } else if (name === 'dist' && known.has(name) && eq < 0) {
      // bare --dist unless a count follows (a yacs KEY or another flag is not one)
      if (next != null && !next.startsWith('--') && !YACS_KEY.test(next)) flags.push(arg, argv[++i]);
      else flags.push('--dist=all');
    } else if (known.has(name)) {
      flags.push(arg);
      if (eq < 0 && options[name]?.type === 'string' && next != null && !isFlag(next)) flags.push(argv[++i]);
      else if (eq < 0 && booleans.includes(name) && next != null && isBooleanWord(next)) flags.push(argv[++i]);
    } else {
      if (!CONFIG_KEY.test(name)) throw new ArgsError(`unknown option '${arg}'`);
      const consumes = eq < 0 && next != null && !isFlag(next);
      const value = eq >= 0 ? arg.slice(eq + 1) : consumes ? argv[++i] : 'True';
      overrides.push({ key: name, value, given: eq >= 0 ? arg : consumes ? `${arg} ${value}` : arg });
    }
  }
  const badKey = positionals.find((p, k) => k % 2 === 0 && !CONFIG_KEY.test(p));
  if (badKey != null || positionals.length % 2 !== 0) {
    throw new ArgsError(`unexpected argument '${badKey ?? positionals.at(-1)}': config keys after the flags come in KEY VALUE pairs (TRAIN.IMAGES_PER_GPU 4)`);
  }
  for (let k = 0; k < positionals.length; k += 2) overrides.push({ key: positionals[k], value: positionals[k + 1], given: `${positionals[k]} ${positionals[k + 1]}` });
  return { values: parseFlags(flags, options, booleans), overrides };
}

/**
 * Parses a training command line: our flags (strict), the seeds' spellings of them (MindCV `--config`/`-c`,
 * `--data_dir`, `--distribute`; bare `--dist`), and config keys as MindCV `--key value` or yacs `KEY VALUE`
 * ({@link TrainArgs.overrides}, applied by `loadConfig`). `--flag value` and `--flag=value` are both accepted;
 * the boolean flags also take no value (`--amp`) or an explicit one (`--amp false`, `--amp=0`).
 */
export function parseTrainArgs(argv: readonly string[] = process.argv.slice(2)): TrainArgs {
  // `--pretrained` alone means the default tag
  const withTag = argv.map((a, i) => (a === '--pretrained' && (argv[i + 1] == null || argv[i + 1].startsWith('-')) ? '--pretrained=true' : a));
  const { values, overrides } = parseFlagsWithOverrides(withTag, TRAIN_OPTIONS, TRAIN_BOOLEANS);
  const str = (k: string) => values[k] as string | undefined;
  const one = (ours: string, theirs: string) => {
    if (str(ours) != null && str(theirs) != null) throw new ArgsError(`--${ours} and --${theirs} are the same flag: give one`);
    return str(ours) ?? str(theirs);
  };
  const args: TrainArgs = {};
  const cfg = one('cfg', 'config');
  const datadir = one('datadir', 'data_dir');
  if (cfg != null) args.cfg = cfg;
  if (datadir != null) args.datadir = datadir;
  if (str('max_epochs') != null) args.max_epochs = toPositiveInt('max_epochs', str('max_epochs')!);
  if (str('amp') != null) args.amp = parseBooleanFlag('amp', str('amp')!);
  if (str('dist') != null) args.dist = str('dist') === 'all' ? 'all' : toPositiveInt('dist', str('dist')!);
  if (str('distribute') != null) args.distribute = parseBooleanFlag('distribute', str('distribute')!);
  if (args.dist != null && args.distribute === false) throw new ArgsError('--dist and --distribute False contradict each other: give one');
  if (str('sync_bn') != null) args.sync_bn = parseBooleanFlag('sync_bn', str('sync_bn')!);
  if (str('ckpt_save_dir') != null) args.ckpt_save_dir = str('ckpt_save_dir');
  if (str('resume') != null) args.resume = str('resume');
  if (str('ckpt_path') != null) args.ckpt_path = str('ckpt_path');
  if (str('pretrained') != null && !FALSE.test(str('pretrained')!)) args.pretrained = TRUE.test(str('pretrained')!) ? true : str('pretrained');
  if (overrides.length > 0) args.overrides = overrides;
  if (str('device') != null) args.device = str('device')!.split(',').map((d) => toNonNegativeInt('device', d, str('device')!));
  if (str('force') != null) args.force = parseBooleanFlag('force', str('force')!);
  if (str('bad_samples') != null) {
    const v = str('bad_samples')!;
    if (!Object.hasOwn(BAD_SAMPLE_POLICIES, v)) throw new ArgsError(`--bad_samples expects ${Object.keys(BAD_SAMPLE_POLICIES).join(' or ')}, got '${v}'`);
    args.bad_samples = v as BadSamplePolicy;
  }
  if (values.help) args.help = true;
  for (const k of ['cfg', 'datadir', 'resume', 'ckpt_path', 'ckpt_save_dir', 'pretrained'] as const) {
    if (args[k] === '') throw new ArgsError(`--${k} expects a value`);
  }
  return args;
}
