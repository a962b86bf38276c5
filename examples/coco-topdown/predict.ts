/**
 * Poses of given people in images with a trained top-down model: the person boxes come from the command line or a
 * COCO-format detection file; writes the poses as JSON.
 *
 *   tsx predict.ts --image photo.jpg --boxes 10,20,80,200 [--boxes ...] --ckpt work_dirs/.../checkpoint-epoch0210.safetensors [--out predictions]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ArgsError, parseBooleanFlag, parseFlags, runScript } from '@hrnet/train/cli';

const USAGE = `usage: tsx predict.ts --image <file> --boxes x,y,w,h [--boxes x,y,w,h ...] --ckpt <checkpoint | mmpose weights.pth> [--cfg <config.yaml>] [--out <dir>] [--flip[=true|false]]
  writes <out>/<image name>.poses.json (default --out: predictions); poses are in the boxes' image pixels`;

function parseBox(v: string): [number, number, number, number] {
  const n = v.split(',').map((t) => Number(t.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isFinite(x))) throw new ArgsError(`--boxes expects x,y,w,h (four numbers), got '${v}'`);
  if (!(n[2]! > 0 && n[3]! > 0)) throw new ArgsError(`--boxes ${v}: width and height must be positive`);
  return n as [number, number, number, number];
}

runScript(async (argv) => {
  const v = parseFlags(argv, { image: { type: 'string' }, boxes: { type: 'string', multiple: true }, ckpt: { type: 'string' }, cfg: { type: 'string' }, out: { type: 'string' } }, ['flip']);
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const image = v.image as string | undefined;
  const ckpt = v.ckpt as string | undefined;
  if (!image) throw new ArgsError('--image is required');
  if (!ckpt) throw new ArgsError('--ckpt is required');
  const boxes = ((v.boxes as string[] | undefined) ?? []).map(parseBox);
  if (boxes.length === 0) throw new ArgsError('--boxes x,y,w,h is required (one per person)');
  // TensorFlow.js and the model code load after the flags are checked.
  const { initBackend } = await import('@hrnet/core');
  const { decodeRgb } = await import('@hrnet/data-coco');
  const { estimateTopDownPoses } = await import('@hrnet/heads');
  const { loadTopDownModel } = await import('./src/checkpoint.js');
  const { loadTopDownConfig, topDownCodec, valPipelineConfig } = await import('./src/config.js');
  const cfgFromFile = v.cfg ? await loadTopDownConfig(v.cfg as string) : undefined;
  await initBackend(cfgFromFile?.backend ?? 'auto');
  const { model, cfg } = await loadTopDownModel(ckpt, cfgFromFile);
  const out = (v.out as string | undefined) ?? 'predictions';
  try {
    const rgb = await decodeRgb(image);
    const flipTest = v.flip != null ? parseBooleanFlag('flip', v.flip as string) : cfg.model.test_cfg.flip_test;
    const { padding, mean, std } = valPipelineConfig(cfg);
    const d = cfg.data_cfg;
    const poses = await estimateTopDownPoses(model, rgb, { boxes, codec: topDownCodec(cfg), flipTest, padding, mean, std, visThr: d.vis_thr, oksThr: d.oks_thr, nms: d.use_nms });
    await mkdir(out, { recursive: true });
    const json = join(out, `${basename(image, extname(image))}.poses.json`);
    await writeFile(json, `${JSON.stringify({ image, width: rgb.width, height: rgb.height, boxes, flipTest, poses }, null, 1)}\n`);
    console.log(`${image}: ${poses.length} poses for ${boxes.length} boxes -> ${json}`);
  } finally {
    model.dispose();
  }
});
