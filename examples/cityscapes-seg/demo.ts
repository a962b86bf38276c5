/**
 * The segmentation demo: generates a small data set in the Cityscapes layout, trains the tiny HRNetV2 of
 * configs/tiny-cpu.yaml on it (a minute or two on a CPU), prints the mIoU table of its val images and writes the
 * colour-coded predictions of a few of them.
 *
 *   npm run demo:seg        (or, in examples/cityscapes-seg: npx tsx demo.ts [--out <dir>] [--cfg <yaml>] [--overlays N])
 */
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ArgsError, parseFlags, runScript } from '@hrnet/train/cli';

const here = import.meta.dirname;

runScript(async (argv) => {
  const values = parseFlags(argv, { cfg: { type: 'string' }, out: { type: 'string' }, overlays: { type: 'string' } });
  if (values.help) {
    console.log('usage: tsx demo.ts [--cfg <config.yaml>] [--out <dir>] [--overlays N] [--debug]');
    return;
  }
  const cfgFile = (values.cfg as string | undefined) ?? join(here, 'configs', 'tiny-cpu.yaml');
  const out = resolve((values.out as string | undefined) ?? join(here, 'output', 'demo'));
  const overlays = Number(values.overlays ?? 4);
  if (!Number.isInteger(overlays) || overlays < 0) throw new ArgsError(`--overlays expects a non-negative integer, got '${values.overlays}'`);
  // TensorFlow.js and the model code load after the flags are checked.
  const { readRgb } = await import('@hrnet/data-cityscapes');
  const { inferenceOptions, loadSegConfig } = await import('./src/config.js');
  const { splitSamples } = await import('./src/data.js');
  const { formatMetrics } = await import('./src/evaluate.js');
  const { writePrediction } = await import('./src/overlay.js');
  const { segmentRgb } = await import('./src/segment-rgb.js');
  const { trainSegmentation } = await import('./src/train-seg.js');
  const t0 = performance.now();
  const cfg = await loadSegConfig(cfgFile);
  const dataDir = join(out, 'data');
  const ckptDir = join(out, 'checkpoints');
  const overlayDir = join(out, 'overlays');
  // Start clean: only the demo's own folders are removed.
  for (const d of [dataDir, ckptDir, overlayDir]) await rm(d, { recursive: true, force: true });

  console.log(`[demo] ${relative(process.cwd(), cfgFile) || cfgFile}: tiny HRNetV2, ${cfg.TRAIN.END_EPOCH} epochs on a generated data set`);
  const r = await trainSegmentation(cfg, { syntheticDir: dataDir, outputDir: ckptDir, keepModel: true });
  const model = r.model!;
  try {
    const ev = r.evaluation!;
    console.log(`\n[valid] ${ev.images} generated val images (${ev.seconds.toFixed(1)} s):`);
    console.log(formatMetrics(ev));
    const { samples } = await splitSamples(cfg, dataDir, cfg.DATASET.TEST_SET);
    const written: string[] = [];
    for (const s of samples.slice(0, overlays)) {
      const rgb = await readRgb(s.image);
      const files = { overlay: join(overlayDir, `${s.name}.overlay.png`), labelIds: join(overlayDir, `${s.name}_labelIds.png`) };
      await writePrediction(rgb, await segmentRgb(model, rgb, inferenceOptions(cfg)), files);
      written.push(files.overlay);
    }
    const rel = (p: string) => relative(process.cwd(), p) || '.';
    console.log(`\n[demo] done in ${((performance.now() - t0) / 1000).toFixed(0)} s on ${r.backend}: mIoU ${ev.metrics.meanIoU.toFixed(3)}, pixel accuracy ${ev.metrics.pixelAccuracy.toFixed(3)}`);
    console.log(`  data set     ${rel(dataDir)}  (Cityscapes layout: leftImg8bit/, gtFine/, list/)`);
    console.log(`  checkpoint   ${rel(r.checkpoint!)}  (weights, optimizer state, config)`);
    console.log(`  overlays     ${rel(overlayDir)}/  (${written.length} val images with the predicted classes blended in)`);
    console.log(`try: npx tsx predict.ts --ckpt ${rel(r.checkpoint!)} --image ${rel(samples[0].image)}`);
    console.log(`     npx tsx valid.ts --ckpt ${rel(r.checkpoint!)} --datadir ${rel(dataDir)}`);
  } finally {
    model.dispose();
  }
});
