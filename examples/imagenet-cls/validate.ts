/**
 * Evaluates a classifier on the val split, MindCV validate.py style:
 *
 *   tsx validate.ts --cfg <config.yaml> --datadir <imagenet root> --ckpt_path <our checkpoint | timm .pth/.safetensors>
 *   tsx validate.ts -c configs/hrnet/hrnet_w32_ascend.yaml --data_dir /path/to/imagenet --ckpt_path <ckpt>   (MindCV)
 *
 * Prints `{'Top_1_Accuracy': …, 'Top_5_Accuracy': …, 'Loss': …}`, or MindSpore's eval keys
 * `{'Loss': …, 'Top_1_Acc': …, 'Top_5_Acc': …}` with a config that sets `eval_keys: mindspore`.
 */
import { ArgsError, parseFlagsWithOverrides, runScript } from '@hrnet/train/cli';
import { CONFIG_FLAGS, configFlag } from './src/cli-flags.js';

const USAGE = `usage: tsx validate.ts --cfg <config.yaml> --datadir <root> --ckpt_path <checkpoint or timm weights> [--batch_size N] [--runtime tfjs|onnx]
  --cfg <file.yaml>       the model's config (ours, or MindCV's yaml); MindCV: --config, -c
  --datadir <dir>         dataset root: <root>/val/<class>/* (or the flat layout with data.val_labels); MindCV: --data_dir
  --ckpt_path <file>      an @hrnet/train checkpoint (.safetensors) or timm/PyTorch weights (.pth, .safetensors)
  --batch_size <n>        default: the config's batch_size
  --runtime <tfjs|onnx>   tfjs (default, the config's backend) or onnx (onnxruntime-node on an ONNX export of the model)
  --<key> <value>         set a config key (MindCV style; ours nested: --data.val_split val)
  --debug                 print the stack of an error (also DEBUG=1)`;

runScript(async (argv) => {
  const { values, overrides } = parseFlagsWithOverrides(argv, {
    ...CONFIG_FLAGS,
    datadir: { type: 'string' },
    data_dir: { type: 'string' },
    ckpt_path: { type: 'string' },
    batch_size: { type: 'string' },
    runtime: { type: 'string' },
  });
  if (values.help) return console.log(USAGE);
  const cfgFile = configFlag(values);
  const datadir = (values.datadir ?? values.data_dir) as string | undefined;
  const ckptPath = values.ckpt_path as string | undefined;
  if (!datadir) throw new ArgsError('--datadir is required');
  if (!ckptPath) throw new ArgsError('--ckpt_path is required');
  const batchSize = values.batch_size != null ? Number(values.batch_size) : undefined;
  if (batchSize != null && !(Number.isInteger(batchSize) && batchSize > 0)) throw new ArgsError(`--batch_size expects a positive integer, got '${values.batch_size}'`);

  const { loadClassificationConfig } = await import('./src/config.js');
  const { validateClassifier } = await import('./src/validate-classifier.js');
  const { cfg } = await loadClassificationConfig(cfgFile, { overrides });
  const r = await validateClassifier(cfg, { datadir, ckptPath, batchSize, runtime: values.runtime as 'tfjs' | 'onnx' | undefined });
  const top5 = r.top5 != null;
  const result: [string, number][] =
    cfg.eval_keys === 'mindspore'
      ? [['Loss', r.loss], ['Top_1_Acc', r.top1], ...(top5 ? [['Top_5_Acc', r.top5!] as [string, number]] : [])]
      : [['Top_1_Accuracy', r.top1], ...(top5 ? [['Top_5_Accuracy', r.top5!] as [string, number]] : []), ['Loss', r.loss]];
  console.log(`${r.samples} images, ${r.seconds.toFixed(1)} s on ${r.runtime === 'onnx' ? 'onnxruntime-node' : r.backend}`);
  console.log(`{${result.map(([k, v]) => `'${k}': ${+v.toFixed(5)}`).join(', ')}}`);
});
