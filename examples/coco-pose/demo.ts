/**
 * The pose demo: generates a synthetic COCO keypoints dataset, trains the tiny HigherHRNet of
 * configs/tiny-cpu.yaml on it (a few minutes on CPU), evaluates COCO AP on its val images and draws the detected
 * skeletons on a few of them.
 *
 *   npm run demo -w @hrnet/example-coco-pose        (or: tsx demo.ts [--out <dir>] [--cfg <yaml>] [--overlays N])
 */
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createCocoImageResolver, loadCocoKeypoints } from '@hrnet/data-coco';
import { ConfigError } from '@hrnet/train';
import { loadPoseConfig } from './src/config.js';
import { annotationFile } from './src/data.js';
import { evaluatePose, formatApTable, resultsFileIn } from './src/evaluate.js';
import { writeOverlay } from './src/overlay.js';
import { trainPose } from './src/train-pose.js';

const here = import.meta.dirname;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cfg: { type: 'string', default: join(here, 'configs', 'tiny-cpu.yaml') },
      out: { type: 'string', default: join(here, 'output', 'demo') },
      overlays: { type: 'string', default: '6' },
    },
    strict: true,
  });
  const t0 = performance.now();
  const cfg = await loadPoseConfig(values.cfg!);
  const out = resolve(values.out!);
  const nOverlays = Number(values.overlays);
  const dataDir = join(out, 'data');
  const ckptDir = join(out, 'checkpoints');
  const overlayDir = join(out, 'overlays');
  // Start clean: only the demo's own folders are removed.
  for (const d of [dataDir, ckptDir, overlayDir, join(out, 'results')]) await rm(d, { recursive: true, force: true });

  console.log(`[demo] ${relative(process.cwd(), values.cfg!) || values.cfg}: tiny HigherHRNet, ${cfg.TRAIN.END_EPOCH} epochs on a generated dataset`);
  const trained = await trainPose(cfg, { syntheticDir: dataDir, outputDir: ckptDir, keepModel: true });
  const model = trained.model;
  try {
    const resultsFile = resultsFileIn(out, cfg);
    const ev = await evaluatePose(model, cfg, { root: dataDir, resultsFile });
    console.log(`\n[valid] COCO keypoint AP on ${ev.images} generated ${cfg.DATASET.TEST} images (flip test ${cfg.TEST.FLIP_TEST ? 'on' : 'off'}, ${ev.seconds.toFixed(1)} s):`);
    console.log(formatApTable(ev.evaluation, 'tiny HigherHRNet'));

    const gt = await loadCocoKeypoints(annotationFile(dataDir, cfg.DATASET.TEST));
    const resolveImage = createCocoImageResolver({ root: dataDir, split: cfg.DATASET.TEST });
    const written: string[] = [];
    for (const img of gt.images.slice(0, nOverlays)) {
      const file = join(overlayDir, `${String(img.id).padStart(12, '0')}.png`);
      // Low-score duplicates (the parser keeps every group) would clutter the picture; COCO AP above counts them all.
      const poses = (ev.poses.get(img.id) ?? []).filter((p) => p.score >= 0.2);
      await writeOverlay(resolveImage(img.file_name), poses, file, { minJointScore: cfg.TEST.DETECTION_THRESHOLD });
      written.push(file);
    }
    const rel = (p: string) => relative(process.cwd(), p) || '.';
    const s = (performance.now() - t0) / 1000;
    console.log(`\n[demo] done in ${s.toFixed(0)} s (training ${trained.fit.history.reduce((a, h) => a + h.epochTimeMs, 0) / 1000 | 0} s on ${trained.backend}): AP ${ev.stats[0].toFixed(3)}, AP50 ${ev.stats[1].toFixed(3)}`);
    console.log(`  dataset      ${rel(dataDir)}  (COCO layout: annotations/, images/train2017, images/val2017)`);
    console.log(`  model        ${rel(trained.modelDir!)}  (tfjs model.json + weights.bin + config.json)`);
    console.log(`  checkpoint   ${rel(trained.checkpoint!)}  (weights + optimizer state, for --resume)`);
    console.log(`  results      ${rel(resultsFile)}  (COCO results format)`);
    console.log(`  overlays     ${rel(overlayDir)}/  (${written.length} val images with the detected skeletons)`);
    console.log(`try: npx tsx predict.ts --ckpt ${rel(trained.modelDir!)} --image ${rel(resolveImage(gt.images[0].file_name))}`);
    console.log(`     npx tsx valid.ts --ckpt ${rel(trained.modelDir!)} --datadir ${rel(dataDir)}`);
  } finally {
    model.dispose();
  }
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(e instanceof ConfigError ? `config error: ${e.message}` : (e.stack ?? String(e)));
  process.exitCode = 1;
});
