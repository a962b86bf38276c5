/**
 * The pose demo: generates a synthetic COCO keypoints dataset, trains the tiny HigherHRNet of
 * configs/tiny-cpu.yaml on it (a few minutes on CPU), evaluates COCO AP on its val images and draws the detected
 * skeletons on a few of them.
 *
 *   npm run demo -w @hrnet/example-coco-pose        (or: tsx demo.ts [--out <dir>] [--cfg <yaml>] [--overlays N])
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ArgsError, commandLine, displayPath as rel, parseFlags, runScript } from '@hrnet/train/cli';

const here = import.meta.dirname;

const USAGE = `usage: tsx demo.ts [--cfg <config.yaml>] [--out <dir>] [--overlays N]
  --cfg       the config to train (default configs/tiny-cpu.yaml)
  --out       where the dataset, checkpoints, results and overlays go (default output/demo next to demo.ts)
  --overlays  val images drawn with their detected skeletons (default 6)`;

runScript(async (argv) => {
  const flags = parseFlags(argv, { cfg: { type: 'string' }, out: { type: 'string' }, overlays: { type: 'string' } });
  if (flags.help) return console.log(USAGE);
  const values = { cfg: (flags.cfg as string | undefined) ?? join(here, 'configs', 'tiny-cpu.yaml'), out: (flags.out as string | undefined) ?? join(here, 'output', 'demo'), overlays: (flags.overlays as string | undefined) ?? '6' };
  const nOverlays = Number(values.overlays);
  if (!/^\d+$/.test(values.overlays)) throw new ArgsError(`--overlays expects a whole number, got '${values.overlays}'`);
  // TensorFlow.js and the model code load after the flags are checked.
  const { createCocoImageResolver, loadCocoKeypoints } = await import('@hrnet/data-coco');
  const { loadPoseConfig } = await import('./src/config.js');
  const { annotationFile } = await import('./src/data.js');
  const { evaluatePose, formatApTable, resultsFileIn } = await import('./src/evaluate.js');
  const { writeOverlay } = await import('./src/overlay.js');
  const { trainPose } = await import('./src/train-pose.js');
  const t0 = performance.now();
  const cfg = await loadPoseConfig(values.cfg);
  const out = resolve(values.out);
  const dataDir = join(out, 'data');
  const ckptDir = join(out, 'checkpoints');
  const overlayDir = join(out, 'overlays');
  // Start clean: only the demo's own folders are removed.
  for (const d of [dataDir, ckptDir, overlayDir, join(out, 'results')]) await rm(d, { recursive: true, force: true });

  console.log(`[demo] ${rel(values.cfg)}: tiny HigherHRNet, ${cfg.TRAIN.END_EPOCH} epochs on a generated dataset`);
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
    const s = (performance.now() - t0) / 1000;
    console.log(`\n[demo] done in ${s.toFixed(0)} s (training ${trained.fit.history.reduce((a, h) => a + h.epochTimeMs, 0) / 1000 | 0} s on ${trained.backend}): AP ${ev.stats[0].toFixed(3)}, AP50 ${ev.stats[1].toFixed(3)}`);
    console.log(`  dataset      ${rel(dataDir)}  (COCO layout: annotations/, images/train2017, images/val2017)`);
    console.log(`  model        ${rel(trained.modelDir!)}  (tfjs model.json + weights.bin + config.json)`);
    console.log(`  checkpoint   ${rel(trained.checkpoint!)}  (weights + optimizer state, for --resume)`);
    console.log(`  results      ${rel(resultsFile)}  (COCO results format)`);
    console.log(`  overlays     ${rel(overlayDir)}/  (${written.length} val images with the detected skeletons)`);
    console.log(`try: ${commandLine(join(here, 'predict.ts'), ['--ckpt', rel(trained.modelDir!), '--image', rel(resolveImage(gt.images[0].file_name))])}`);
    console.log(`     ${commandLine(join(here, 'valid.ts'), ['--ckpt', rel(trained.modelDir!), '--datadir', rel(dataDir)])}`);
  } finally {
    model.dispose();
  }
});
