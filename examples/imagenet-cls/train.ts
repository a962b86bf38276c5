/**
 * Trains an HRNet classifier on an ImageNet-layout folder, or on a generated synthetic one.
 *
 *   tsx train.ts --cfg configs/demo-tiny.yaml [--datadir <root>] [--max_epochs N] [--amp] [--dist N [--sync_bn]]
 *                [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
 */
import { ArgsError, CheckpointError, checkTrainArgs, ConfigError, launchDataParallel, loadConfig, parseTrainArgs, TRAIN_ARGS_USAGE, TrainingDivergedError } from '@hrnet/train';
import { ImageDecodeError } from '@hrnet/core';
import { classificationConfigSchema } from './src/config.js';
import type { DistWorkerData } from './src/dist-worker.js';
import { prepareSyntheticData, trainClassifier } from './src/train-classifier.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <root>] [--max_epochs N] [--amp] [--dist N] [--resume ckpt]\n${TRAIN_ARGS_USAGE}`;

async function main(): Promise<void> {
  const args = parseTrainArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  checkTrainArgs(args);
  const cfg = await loadConfig(args.cfg, classificationConfigSchema);
  const opts = { datadir: args.datadir, maxEpochs: args.max_epochs, amp: args.amp, resume: args.resume, ckptPath: args.ckpt_path, ckptSaveDir: args.ckpt_save_dir, force: args.force, badSamples: args.bad_samples };

  if (args.dist && args.dist > 1) {
    if (cfg.batch_size % args.dist !== 0) throw new ArgsError(`--dist ${args.dist}: batch_size ${cfg.batch_size} is not a multiple of ${args.dist}`);
    // The synthetic dataset is written once, here, and read by every worker.
    const data = opts.datadir ? undefined : await prepareSyntheticData(cfg, (l) => console.log(l));
    try {
      console.log(`[dist] ${args.dist} data-parallel worker threads on this machine (gradients averaged every step${args.sync_bn ? ', synchronized BatchNorm' : ''})`);
      const workerData: DistWorkerData = { cfg, opts: { ...opts, datadir: opts.datadir ?? data!.root, syncBn: args.sync_bn } };
      const results = await launchDataParallel<Summary>({
        worldSize: args.dist,
        module: new URL('./src/dist-worker.ts', import.meta.url),
        data: workerData,
      });
      report(results[0]);
    } finally {
      await data?.cleanup();
    }
    return;
  }
  report(await trainClassifier(cfg, opts));
}

type Summary = Pick<Awaited<ReturnType<typeof trainClassifier>>, 'seconds' | 'backend' | 'top1' | 'top5' | 'numClasses' | 'dataWaitPct'>;

function report(r: Summary): void {
  const top5 = r.top5 != null ? `, top-5 ${(r.top5 * 100).toFixed(1)}%` : '';
  console.log(
    `done in ${r.seconds.toFixed(1)} s on ${r.backend}: val top-1 ${(r.top1 * 100).toFixed(1)}%${top5} ` +
      `(${r.numClasses} classes, chance ${(100 / r.numClasses).toFixed(1)}%); waited on data ${r.dataWaitPct.toFixed(1)}% of the training time`,
  );
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(
    e instanceof ArgsError ? `error: ${e.message}\n${USAGE}` : e instanceof ConfigError ? `config error: ${e.message}` : e instanceof CheckpointError ? `checkpoint error: ${e.message}` : e instanceof TrainingDivergedError || e instanceof ImageDecodeError ? `error: ${e.message}` : (e.stack ?? String(e)),
  );
  process.exitCode = 1;
});
