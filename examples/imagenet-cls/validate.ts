/**
 * Evaluates a classifier on the val split, MindCV validate.py style:
 *
 *   tsx validate.ts --cfg <config.yaml> --datadir <imagenet root> --ckpt_path <our checkpoint | timm .pth/.safetensors>
 *
 * Prints `{'Top_1_Accuracy': …, 'Top_5_Accuracy': …, 'Loss': …}`.
 */
import { parseArgs } from 'node:util';
import { CheckpointError, ConfigError, loadConfig } from '@hrnet/train';
import { classificationConfigSchema } from './src/config.js';
import { validateClassifier } from './src/validate-classifier.js';

const USAGE = `usage: tsx validate.ts --cfg <config.yaml> --datadir <root> --ckpt_path <checkpoint or timm weights> [--batch_size N] [--runtime tfjs|onnx]
  --cfg <file.yaml>       the model's config (model, data.image_size, crop_pct, interpolation, ...)
  --datadir <dir>         dataset root: <root>/val/<class>/* (or the flat layout with data.val_labels)
  --ckpt_path <file>      an @hrnet/train checkpoint (.safetensors) or timm/PyTorch weights (.pth, .safetensors)
  --batch_size <n>        default: the config's batch_size
  --runtime <tfjs|onnx>   tfjs (default, the config's backend) or onnx (onnxruntime-node on an ONNX export of the model)`;

class UsageError extends Error {}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options: { cfg: { type: 'string' }, datadir: { type: 'string' }, ckpt_path: { type: 'string' }, batch_size: { type: 'string' }, runtime: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  for (const k of ['cfg', 'datadir', 'ckpt_path']) if (!values[k]) throw new UsageError(`--${k} is required`);
  const batchSize = values.batch_size != null ? Number(values.batch_size) : undefined;
  if (batchSize != null && !(Number.isInteger(batchSize) && batchSize > 0)) throw new UsageError(`--batch_size expects a positive integer, got '${values.batch_size}'`);
  const cfg = await loadConfig(values.cfg as string, classificationConfigSchema);
  const r = await validateClassifier(cfg, { datadir: values.datadir as string, ckptPath: values.ckpt_path as string, batchSize, runtime: values.runtime as 'tfjs' | 'onnx' | undefined });
  const result: Record<string, number> = { Top_1_Accuracy: r.top1 };
  if (r.top5 != null) result.Top_5_Accuracy = r.top5;
  result.Loss = r.loss;
  console.log(`${r.samples} images, ${r.seconds.toFixed(1)} s on ${r.runtime === 'onnx' ? 'onnxruntime-node' : r.backend}`);
  console.log(`{${Object.entries(result).map(([k, v]) => `'${k}': ${+v.toFixed(5)}`).join(', ')}}`);
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(
    e instanceof UsageError ? `error: ${e.message}\n${USAGE}` : e instanceof ConfigError ? `config error: ${e.message}` : e instanceof CheckpointError ? `checkpoint error: ${e.message}` : (e.stack ?? String(e)),
  );
  process.exitCode = 1;
});
