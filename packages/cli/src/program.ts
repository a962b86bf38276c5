import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { convert, type ConvertOptions } from './convert.js';
import { listModelNames } from './list-models.js';

/** Where the CLI writes (tests capture it). */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

/** The `hrnet` commander program. Errors propagate; {@link runCli} turns them into one line and exit code 1. */
export function createProgram(io: CliIo): Command {
  const program = new Command('hrnet')
    .description('HRNet for TensorFlow.js: convert PyTorch / safetensors checkpoints, list models')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(s) });

  program
    .command('convert')
    .description('convert a PyTorch (.pth/.pt zip) or .safetensors checkpoint into a tfjs model directory (model.json + weights.bin)')
    .requiredOption('--model <name|cfg.json>', 'registered model name (see `hrnet list`) or a timm-style cfg JSON file')
    .requiredOption('--weights <file>', 'checkpoint: .pth/.pt (torch >= 1.6 zip) or .safetensors')
    .requiredOption('--out <dir>', 'output directory (written atomically; an existing model directory is replaced, one holding other files refused)')
    .option('--num-classes <n>', 'build a classifier with n classes (default: from classifier.weight if present, else backbone only)', positiveInt('--num-classes'))
    .option('--naming <scheme>', 'checkpoint key naming: timm | higherhrnet', 'timm')
    .option('--input-size <n>', 'fix the input to n x n (default: any size)', positiveInt('--input-size'))
    .option('--safetensors', 'also write <out>/weights.safetensors (PyTorch layout)')
    .option('--no-strict', 'report missing / unexpected keys as warnings instead of failing')
    .option('--force', 'write into an --out directory holding files of your own: replace only the model files, keep the rest')
    .action(async (opts: ConvertOptions) => convert(opts, io));

  program
    .command('list')
    .description('list every model name @hrnet/heads createModel builds (classifiers, HigherHRNet, segmentation presets)')
    .argument('[filter]', 'substring or glob with *')
    .action((filter?: string) => {
      for (const name of listModelNames(filter)) io.out(`${name}\n`);
    });

  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = createProgram({
    out: (s) => io.out(s.endsWith('\n') ? s : `${s}\n`),
    err: (s) => io.err(s.endsWith('\n') ? s : `${s}\n`),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed its message
    io.err(`hrnet: error: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
