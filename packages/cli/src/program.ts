import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { convert, type ConvertOptions } from './convert.js';
import { exportModel, type ExportOptions } from './export.js';
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
    .description('HRNet for TensorFlow.js: convert PyTorch / safetensors / training checkpoints, export to ONNX, list models')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(s) });

  /** How convert and export read `--model` / `--weights` (see loadModelSource). */
  const withModelSource = (cmd: Command, modelHelp: string, weightsHelp: string) =>
    cmd
      .requiredOption('--model <source>', modelHelp)
      .option('--weights <file>', weightsHelp)
      .option('--num-classes <n>', 'build a classifier with n classes (default: from the checkpoint\'s classifier if present, else backbone only)', positiveInt('--num-classes'))
      .option('--naming <scheme>', 'checkpoint key naming: timm | higherhrnet | hrnet-seg | hf-hrnet (default: the family\'s)')
      .option('--input-size <n>', 'fix the input to n x n (default: any size)', positiveInt('--input-size'))
      .option('--no-strict', 'report missing / unexpected keys as warnings instead of failing');

  withModelSource(
    program.command('convert').description('convert a PyTorch (.pth/.pt zip), .safetensors or @hrnet/train checkpoint into a tfjs model directory (model.json + weights.bin)'),
    'registered model name (see `hrnet list`), a timm-style cfg JSON file, or an @hrnet/train checkpoint (its stored network)',
    'checkpoint for a name / cfg: .pth/.pt (torch >= 1.6 zip), .safetensors, or an @hrnet/train checkpoint',
  )
    .requiredOption('--out <dir>', 'output directory (written atomically; an existing model directory is replaced, one holding other files refused)')
    .option('--safetensors', 'also write <out>/weights.safetensors (PyTorch layout)')
    .option('--force', 'write into an --out directory holding files of your own: replace only the model files, keep the rest')
    .action(async (opts: ConvertOptions) => convert(opts, io));

  withModelSource(
    program.command('export').description('export a model to ONNX (one file, dynamic batch; run it with @hrnet/deploy loadPredictor or any ONNX runtime)'),
    'a tfjs model directory, an @hrnet/train checkpoint, or a registered model name / timm-style cfg JSON (with --weights)',
    'weights for a name / cfg: .pth/.pt, .safetensors (timm or official naming) or an @hrnet/train checkpoint',
  )
    .requiredOption('--out <file>', 'output file (written atomically: temp file + rename)')
    .addOption(new Option('--format <format>', 'output format').choices(['onnx']).default('onnx'))
    .addOption(new Option('--input-layout <layout>', 'layout of the exported input and image-shaped outputs').choices(['NHWC', 'NCHW']).default('NHWC'))
    .option('--opset <n>', 'ONNX opset, 13-21 (default 17)', positiveInt('--opset'))
    .action(async (opts: ExportOptions) => exportModel(opts, io));

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
