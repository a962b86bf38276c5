/**
 * COCO keypoint evaluation of a trained top-down model (MMPose `tools/test.py`): person boxes from the ground truth or
 * a COCO-format detection file (`COCO_val2017_detections_AP_H_56_person.json`), flip test, rescoring, OKS-NMS,
 * the AP table and the results JSON.
 *
 *   tsx valid.ts --ckpt work_dirs/<cfg>/checkpoint-epoch0210.safetensors --datadir /data/coco [--bbox_file dets.json | --gt_bbox] [--flip]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ArgsError, parseBooleanFlag, parseFlags, runScript } from '@hrnet/train/cli';

const USAGE = `usage: tsx valid.ts --ckpt <checkpoint.safetensors | mmpose weights.pth> [--cfg <config.yaml>] [--datadir <coco root>]
                     [--bbox_file <detections.json> | --gt_bbox] [--flip[=true|false]] [--out <results.json>] [--limit N]
  --ckpt       a training checkpoint of train.ts (it stores its config), or MMPose weights (then --cfg is required)
  --datadir    COCO root with annotations/person_keypoints_<val split>.json; default: the config's generated set
  --bbox_file  person detections (a JSON list of {image_id, category_id, bbox, score}); default: data_cfg.bbox_file
               under --datadir, or ground-truth boxes when data_cfg.use_gt_bbox
  --gt_bbox    evaluate on ground-truth boxes
  --flip       flip test (default model.test_cfg.flip_test)`;

runScript(async (argv) => {
  const v = parseFlags(argv, { ckpt: { type: 'string' }, cfg: { type: 'string' }, datadir: { type: 'string' }, bbox_file: { type: 'string' }, out: { type: 'string' }, limit: { type: 'string' } }, ['flip', 'gt_bbox']);
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const s = (k: string) => v[k] as string | undefined;
  const ckpt = s('ckpt');
  if (!ckpt) throw new ArgsError('--ckpt is required');
  const limit = s('limit');
  if (limit != null && !/^[1-9]\d*$/.test(limit)) throw new ArgsError(`--limit expects a positive integer, got '${limit}'`);
  const gtBbox = s('gt_bbox') != null ? parseBooleanFlag('gt_bbox', s('gt_bbox')!) : undefined;
  if (gtBbox && s('bbox_file')) throw new ArgsError('--gt_bbox and --bbox_file exclude each other');
  // TensorFlow.js and the model code load after the flags are checked.
  const { initBackend } = await import('@hrnet/core');
  const { loadTopDownModel } = await import('./src/checkpoint.js');
  const { loadTopDownConfig, splitOf } = await import('./src/config.js');
  const { generateSyntheticDataset } = await import('./src/data.js');
  const { evaluateTopDown, formatApTable } = await import('./src/evaluate.js');
  const cfgFromFile = s('cfg') ? await loadTopDownConfig(s('cfg')!) : undefined;
  const backend = await initBackend(cfgFromFile?.backend ?? 'auto');
  const { model, cfg, kind } = await loadTopDownModel(ckpt, cfgFromFile);
  console.log(`[model] ${ckpt} (${kind}), ${model.countParams().toLocaleString('en-US')} parameters, backend ${backend}`);
  let root = s('datadir');
  let temp: string | undefined;
  try {
    if (!root) {
      root = temp = await mkdtemp(join(tmpdir(), 'hrnet-coco-topdown-val-'));
      await generateSyntheticDataset(cfg, root, { splits: ['val'] });
      console.log(`[data] regenerated the config's synthetic ${splitOf(cfg.data.val)} (seed ${cfg.synthetic.seed})`);
    }
    const flip = s('flip') != null ? parseBooleanFlag('flip', s('flip')!) : cfg.model.test_cfg.flip_test;
    const resultsFile = s('out') ?? join(dirname(ckpt), 'results', `keypoints_${splitOf(cfg.data.val)}_results.json`);
    const ev = await evaluateTopDown(model, cfg, { root, bboxFile: s('bbox_file'), gtBoxes: gtBbox || (!s('bbox_file') && !s('datadir')) || undefined, flip, limit: limit ? Number(limit) : undefined, resultsFile });
    console.log(`[valid] ${ev.images} images, ${ev.boxes} person boxes, flip test ${flip ? 'on' : 'off'}: ${ev.results.length} poses in ${ev.seconds.toFixed(1)} s`);
    console.log(formatApTable(ev.evaluation));
    console.log(`results: ${resultsFile}`);
  } finally {
    model.dispose();
    if (temp) await rm(temp, { recursive: true, force: true });
  }
});
