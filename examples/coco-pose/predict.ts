/**
 * Multi-person pose estimation on images with a trained HigherHRNet: writes the poses as JSON and an overlay PNG
 * with the skeletons drawn.
 *
 *   tsx predict.ts --image photo.jpg --ckpt output/.../model [--out predictions] [--flip] [--scales 1] [--cfg <yaml>]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ArgsError, runScript } from '@hrnet/train/cli';
import { parseInferenceArgs } from './src/inference-args.js';

const USAGE = `usage: tsx predict.ts --image <file> [--image <file> ...] --ckpt <model dir | checkpoint | weights.pth> [--out <dir>]
                       [--cfg <config.yaml>] [--flip[=true|false]] [--scales 0.5,1,2] [--min_score S] [--runtime tfjs|onnx]
  writes <out>/<image name>.poses.json and <out>/<image name>.overlay.png (default --out: predictions)
  --min_score  people below this score are left out of both files (default: the config's TEST.DETECTION_THRESHOLD,
               the official test's threshold, 0.1 in the shipped configs; 0 keeps every group the parser found)
  --runtime    tfjs (default) or onnx (onnxruntime-node on an ONNX export of the model)`;

function args(argv: string[]) {
  const a = parseInferenceArgs(argv, { image: { type: 'string', multiple: true }, min_score: { type: 'string' } });
  const minScoreArg = a.values.min_score as string | undefined;
  const minScore = minScoreArg != null ? Number(minScoreArg) : undefined;
  if (minScore != null && (minScoreArg!.trim() === '' || !Number.isFinite(minScore))) throw new ArgsError(`--min_score expects a number, got '${minScoreArg}'`);
  return { ...a, images: (a.values.image as string[] | undefined) ?? [], out: a.out ?? 'predictions', minScore };
}

runScript(async (argv) => {
  const a = args(argv);
  if (a.help) return console.log(USAGE);
  if (a.images.length === 0) throw new ArgsError('--image is required');
  if (!a.ckpt) throw new ArgsError('--ckpt is required');
  // TensorFlow.js and the model code load after the flags are checked.
  const { initBackend } = await import('@hrnet/core');
  const { decodeRgb } = await import('@hrnet/data-coco');
  const { estimatePoses } = await import('@hrnet/heads');
  const { runtimeModel } = await import('@hrnet/deploy');
  const { loadPoseModel } = await import('./src/checkpoint.js');
  const { decodeOptions, loadPoseConfig } = await import('./src/config.js');
  const { writeOverlay } = await import('./src/overlay.js');
  const cfgFromFile = a.cfg ? await loadPoseConfig(a.cfg) : undefined;
  await initBackend(cfgFromFile?.BACKEND ?? 'auto');
  const { model, cfg } = await loadPoseModel(a.ckpt, cfgFromFile);
  const opts = {
    ...decodeOptions(cfg),
    flipTest: a.flip ?? cfg.TEST.FLIP_TEST,
    scales: a.scales ?? cfg.TEST.SCALE_FACTOR,
    inputSize: cfg.DATASET.INPUT_SIZE,
  };
  const minScore = a.minScore ?? cfg.TEST.DETECTION_THRESHOLD;
  await mkdir(a.out, { recursive: true });
  const net = await runtimeModel(model, { runtime: a.runtime });
  try {
    for (const image of a.images) {
      const t0 = performance.now();
      const rgb = await decodeRgb(image);
      const poses = (await estimatePoses(net, rgb, opts)).filter((p) => p.score >= minScore).sort((x, y) => y.score - x.score);
      const ms = performance.now() - t0;
      const stem = basename(image, extname(image));
      const json = join(a.out, `${stem}.poses.json`);
      const png = join(a.out, `${stem}.overlay.png`);
      const doc = { image, width: rgb.width, height: rgb.height, inputSize: opts.inputSize, flipTest: opts.flipTest, scales: opts.scales, poses };
      await writeFile(json, `${JSON.stringify(doc, null, 1)}\n`);
      await writeOverlay(image, poses, png, { minJointScore: cfg.TEST.DETECTION_THRESHOLD });
      console.log(`${image}: ${poses.length} people (${ms.toFixed(0)} ms) -> ${json}, ${png}`);
    }
  } finally {
    await net.dispose();
    model.dispose();
  }
});
