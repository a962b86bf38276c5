/**
 * End to end: the shipped configs validate with the official keys; the tiny config trains on a generated COCO set
 * (ground-truth boxes) and reaches COCO AP >= 0.6 on its val images; evaluation on a COCO-format detection file;
 * valid.ts / predict.ts / train.ts from the command line, and their one-line errors for bad input.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadCocoKeypoints } from '@hrnet/data-coco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTopDownModel } from '../src/checkpoint.js';
import { loadTopDownConfig } from '../src/config.js';
import { annotationFile } from '../src/data.js';
import { evaluateTopDown } from '../src/evaluate.js';
import { trainTopDown, type TrainTopDownResult } from '../src/train-topdown.js';

const run = promisify(execFile);
const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = (name: string) => join(exampleDir, 'configs', name);
const cli = (script: string, args: string[]) => run('npx', ['tsx', script, ...args], { cwd: exampleDir, maxBuffer: 16 << 20 });
const cliFailure = async (script: string, args: string[]) => {
  const err = (await cli(script, args).catch((e: unknown) => e)) as { code?: number; stderr?: string };
  expect(err.code, `${script} ${args.join(' ')} should fail`).toBe(1);
  // One line, no stack frames (those only with --debug).
  expect((err.stderr ?? '').trim().split('\n'), err.stderr).toHaveLength(1);
  expect(err.stderr).not.toMatch(/^\s+at /m);
  return err.stderr ?? '';
};

describe('coco-topdown example', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-coco-topdown-test-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the shipped configs validate and keep the official keys and values', async () => {
    for (const [file, modules] of [['hf_hrnet_18_coco_256x192.yaml', [2, 4, 2]], ['hf_hrnet_30_coco_256x192.yaml', [3, 8, 3]]] as const) {
      const cfg = await loadTopDownConfig(config(file));
      expect(cfg.optimizer).toMatchObject({ type: 'Adam', lr: 2e-3 });
      expect(cfg.lr_config).toMatchObject({ policy: 'step', warmup: 'linear', warmup_iters: 500, warmup_ratio: 0.001, step: [170, 200] });
      expect(cfg.total_epochs).toBe(210);
      expect(cfg.data_cfg).toMatchObject({ image_size: [192, 256], heatmap_size: [48, 64], oks_thr: 0.9, vis_thr: 0.2, use_gt_bbox: false });
      expect(cfg.model.backbone.extra).toMatchObject({ stages_spec: { num_modules: modules, num_channels: [[48, 96], [48, 96, 192], [48, 96, 192, 384]] } });
      expect(cfg.model.test_cfg).toEqual({ flip_test: true, post_process: 'default', shift_heatmap: true, modulate_kernel: 11 });
      expect(cfg.train_pipeline.find((t) => t.type === 'TopDownGenerateTarget')).toMatchObject({ sigma: 2 });
      expect(cfg.data.samples_per_gpu).toBe(32);
    }
  });

  it('an unknown or unsupported key is an error naming it', async () => {
    const text = await readFile(config('hf_hrnet_18_coco_256x192.yaml'), 'utf8');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, text.replace('total_epochs: 210', 'total_epoch: 210').replace('soft_nms: false', 'soft_nms: true'));
    const err = (await loadTopDownConfig(bad).catch((e: Error) => e)) as Error;
    expect(err.message).toContain("unknown key 'total_epoch'");
    expect(err.message).toContain('data_cfg.soft_nms');
  });

  describe('the tiny config on the generated dataset', () => {
    let trained: TrainTopDownResult;
    let data: string;

    afterAll(() => trained?.model.dispose());

    it('trains on ground-truth boxes and reaches COCO AP >= 0.6 on the generated val images', async () => {
      const cfg = await loadTopDownConfig(config('tiny-cpu.yaml'));
      data = join(dir, 'data');
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      trained = await trainTopDown(cfg, { syntheticDir: data, outputDir: join(dir, 'out'), keepModel: true, progress: 'none', log: () => {} });
      const ev = await evaluateTopDown(trained.model, cfg, { root: data, gtBoxes: true, log: () => {} });
      const cpu = process.cpuUsage(cpu0);
      const ap = ev.stats[0]!;
      console.log(
        `[e2e] ${trained.fit.steps} updates on ${trained.backend}, ${trained.people} people; AP ${ap.toFixed(3)} (AP50 ${ev.stats[1]!.toFixed(3)}, AR ${ev.stats[5]!.toFixed(3)}) ` +
          `on ${ev.boxes} val boxes; wall ${((performance.now() - t0) / 1000).toFixed(0)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s`,
      );
      expect(trained.fit.history).toHaveLength(cfg.total_epochs);
      expect(ap).toBeGreaterThanOrEqual(0.6);
    }, 1_800_000);

    it('evaluates on a COCO-format person detection file (jittered boxes, a duplicate for OKS-NMS, a zero-area box counted)', async () => {
      expect(trained, 'training failed').toBeDefined();
      const cfg = await loadTopDownConfig(config('tiny-cpu.yaml'));
      const gt = await loadCocoKeypoints(annotationFile(data, 'val2017'));
      const dets = gt.annotations
        .filter((a) => !a.iscrowd && a.num_keypoints > 0)
        .flatMap((a, i) => [
          { image_id: a.image_id, category_id: 1, bbox: [a.bbox[0] + (i % 3) - 1, a.bbox[1] - 1, a.bbox[2] * 1.05, a.bbox[3] * 1.03], score: 0.95 },
          { image_id: a.image_id, category_id: 1, bbox: [a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]], score: 0.6 },
        ]);
      dets.push({ image_id: gt.images[0]!.id, category_id: 1, bbox: [5, 5, 0, 20], score: 0.9 });
      const file = join(data, 'person_detection_results', 'COCO_val2017_detections_AP_H_56_person.json');
      await run('mkdir', ['-p', dirname(file)]);
      await writeFile(file, JSON.stringify(dets));
      const lines: string[] = [];
      const ev = await evaluateTopDown(trained.model, cfg, { root: data, bboxFile: file, log: (l) => lines.push(l) });
      expect(lines.join('\n')).toContain('left out 1 person box(es) of zero area');
      expect(ev.boxes).toBe(dets.length - 1);
      // OKS-NMS keeps one pose per person of each duplicate pair.
      expect(ev.results.length).toBeLessThan(ev.boxes);
      expect(ev.stats[0]).toBeGreaterThanOrEqual(0.5);
    }, 300_000);

    it('the checkpoint reloads; valid.ts prints the AP table; predict.ts writes poses; bad input fails in one line', async () => {
      expect(trained, 'training failed').toBeDefined();
      const ckpt = trained.checkpoint!;
      expect(ckpt).toMatch(/checkpoint-epoch\d{4}\.safetensors$/);
      const { model } = await loadTopDownModel(ckpt);
      model.dispose();
      const results = join(dir, 'valid-results.json');
      const { stdout } = await cli('valid.ts', ['--ckpt', ckpt, '--datadir', data, '--gt_bbox', '--out', results, '--limit', '10']);
      expect(stdout).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets= 20 \] = \d\.\d{3}/);
      expect(JSON.parse(await readFile(results, 'utf8')).length).toBeGreaterThan(0);

      const gt = await loadCocoKeypoints(annotationFile(data, 'val2017'));
      const missing = join(dir, 'missing.json');
      await writeFile(missing, JSON.stringify([{ image_id: gt.images[0]!.id, category_id: 1, score: 0.9 }]));
      const e1 = await cliFailure('valid.ts', ['--ckpt', ckpt, '--datadir', data, '--bbox_file', missing]);
      expect(e1.trim()).toMatch(new RegExp(`^error: ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: results\\[0\\] \\(image_id \\d+\\)\\.bbox: .+$`));
      // (An image id the annotations lack: one line too, checked in @hrnet/data-coco's top-down test.)

      const image = join(data, 'images', 'val2017', gt.images[0]!.file_name);
      const people = gt.annotationsByImage.get(gt.images[0]!.id)!.filter((a) => !a.iscrowd && a.num_keypoints > 0);
      const boxes = people.flatMap((a) => ['--boxes', a.bbox.join(',')]);
      const out = join(dir, 'pred');
      const p = await cli('predict.ts', ['--image', image, ...boxes, '--ckpt', ckpt, '--out', out]);
      expect(p.stdout).toContain(`${people.length} poses for ${people.length} boxes`);
      const doc = JSON.parse(await readFile(join(out, gt.images[0]!.file_name.replace(/\.jpg$/, '.poses.json')), 'utf8')) as { poses: { keypoints: unknown[] }[] };
      expect(doc.poses[0]!.keypoints).toHaveLength(17);
      const e3 = await cliFailure('predict.ts', ['--image', image, '--boxes', '1,2,0,5', '--ckpt', ckpt]);
      expect(e3.trim()).toMatch(/^error: --boxes 1,2,0,5: width and height must be positive \(usage: .*predict\.ts --help\)$/);
    }, 600_000);
  });

  it('train.ts: an input size the HUM network cannot take is one line naming it, exit code 1', async () => {
    const text = await readFile(config('tiny-cpu.yaml'), 'utf8');
    const bad = join(dir, 'size.yaml');
    await writeFile(bad, text.replace('image_size: [64, 128]', 'image_size: [48, 128]').replace('heatmap_size: [16, 32]', 'heatmap_size: [12, 32]'));
    const err = await cliFailure('train.ts', ['--cfg', bad, '--datadir', dir]);
    expect(err.trim()).toBe('error: HF-HRNet input size 128x48 (HxW): H and W must be multiples of 64');
    // Flag errors come back before TensorFlow.js loads.
    expect(await cliFailure('train.ts', ['--cfg', bad, '--pretrained'])).toMatch(/^error: --pretrained: this example has no published backbone to download; start from weights with --ckpt_path/);
    expect(await cliFailure('train.ts', ['--cfg', bad, 'total_epochs'])).toMatch(/^error: unexpected argument 'total_epochs': config keys after the flags come in KEY VALUE pairs/);
  }, 300_000);
});
