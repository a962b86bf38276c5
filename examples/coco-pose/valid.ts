/**
 * COCO keypoint evaluation of a trained HigherHRNet (`tools/valid.py`): prints the AP table and writes the
 * results JSON.
 *
 *   tsx valid.ts --cfg configs/w32_512_adam_lr1e-3.yaml --datadir /data/coco2017 --ckpt output/.../model [--flip] [--scales 0.5,1,2]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ArgsError, runScript } from '@hrnet/train/cli';
import { parseInferenceArgs } from './src/inference-args.js';

const USAGE = `usage: tsx valid.ts --ckpt <model dir | checkpoint.safetensors | weights.pth> [--cfg <config.yaml>] [--datadir <coco root>]
                     [--flip[=true|false]] [--scales 0.5,1,2] [--out <results.json>] [--limit N] [--runtime tfjs|onnx]
  --ckpt      a model directory written by train.ts (model.json, weights.bin, config.json), a training checkpoint,
              or official PyTorch weights (then --cfg is required)
  --cfg       the config (default: the one stored with the checkpoint); its TEST block sets the defaults below
  --datadir   COCO root with annotations/person_keypoints_<DATASET.TEST>.json; default: the config's generated
              dataset (DATASET.SYNTHETIC, regenerated from its seed in a temp dir)
  --flip      flip test (default TEST.FLIP_TEST)
  --scales    test scales, comma-separated (default TEST.SCALE_FACTOR)
  --out       results file (default <ckpt folder>/results/keypoints_<split>_results.json)
  --limit     evaluate only the first N images
  --runtime   tfjs (default: the config's BACKEND) or onnx (onnxruntime-node on an ONNX export of the model)`;

function args(argv: string[]) {
  const a = parseInferenceArgs(argv, { datadir: { type: 'string' }, limit: { type: 'string' } });
  const limit = a.values.limit as string | undefined;
  if (limit != null && !/^\d+$/.test(limit)) throw new ArgsError(`--limit expects a positive integer, got '${limit}'`);
  return { ...a, datadir: a.values.datadir as string | undefined, limit: limit != null ? Number(limit) : undefined };
}

runScript(async (argv) => {
  const a = args(argv);
  if (a.help) return console.log(USAGE);
  if (!a.ckpt) throw new ArgsError('--ckpt is required');
  // TensorFlow.js and the model code load after the flags are checked.
  const { initBackend } = await import('@hrnet/core');
  const { runtimeModel } = await import('@hrnet/deploy');
  const { loadPoseConfig } = await import('./src/config.js');
  const { loadPoseModel } = await import('./src/checkpoint.js');
  const { generateSyntheticDataset } = await import('./src/data.js');
  const { evaluatePose, formatApTable, resultsFileIn } = await import('./src/evaluate.js');
  const cfgFromFile = a.cfg ? await loadPoseConfig(a.cfg) : undefined;
  const backend = await initBackend(cfgFromFile?.BACKEND ?? 'auto');
  const { model, cfg, kind } = await loadPoseModel(a.ckpt, cfgFromFile);
  console.log(`[model] ${a.ckpt} (${kind}), ${model.countParams().toLocaleString('en-US')} parameters, backend ${backend}`);
  let root = a.datadir;
  let temp: string | undefined;
  let net: Awaited<ReturnType<typeof runtimeModel>> | undefined;
  try {
    if (!root) {
      root = temp = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-val-'));
      const { val } = await generateSyntheticDataset(cfg, root, { splits: ['val'] });
      console.log(`[data] regenerated the config's synthetic ${cfg.DATASET.TEST} (${val!.images} images, seed ${cfg.DATASET.SYNTHETIC.SEED})`);
    }
    const flip = a.flip ?? cfg.TEST.FLIP_TEST;
    const scales = a.scales ?? cfg.TEST.SCALE_FACTOR;
    const resultsFile = a.out ?? resultsFileIn(kind === 'model-dir' ? dirname(a.ckpt.replace(/\/+$/, '')) : dirname(a.ckpt), cfg);
    const isTty = process.stderr.isTTY;
    net = await runtimeModel(model, { runtime: a.runtime });
    const ev = await evaluatePose(net, cfg, {
      root,
      flip,
      scales,
      limit: a.limit,
      resultsFile,
      onImage: (done, total) => {
        if (isTty && (done % 10 === 0 || done === total)) process.stderr.write(`\r[valid] ${done}/${total} images`);
      },
    });
    if (isTty) process.stderr.write('\n');
    console.log(
      `[valid] ${ev.images} ${cfg.DATASET.TEST} images, input ${cfg.DATASET.INPUT_SIZE}, flip test ${flip ? 'on' : 'off'}, scales ${scales.join(',')}: ` +
        `${ev.results.length} people in ${ev.seconds.toFixed(1)} s`,
    );
    console.log(formatApTable(ev.evaluation));
    console.log(`results: ${resultsFile}`);
  } finally {
    await net?.dispose();
    model.dispose();
    if (temp) await rm(temp, { recursive: true, force: true });
  }
});
