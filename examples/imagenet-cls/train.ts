/**
 * Trains an HRNet classifier on an ImageNet-layout folder, or on a generated synthetic one.
 *
 *   tsx train.ts --cfg configs/demo-tiny.yaml [--datadir <root>] [--max_epochs N] [--amp] [--dist N [--sync_bn]]
 *                [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
 *   mpirun -n N npx tsx train.ts --cfg … --datadir …      (every rank its shard of each global batch)
 */
import {
  ArgsError,
  CheckpointError,
  checkTrainArgs,
  ConfigError,
  dataParallelRole,
  DistAbortError,
  launchProcesses,
  loadConfig,
  parseTrainArgs,
  TRAIN_ARGS_USAGE,
  TrainingDivergedError,
} from '@hrnet/train';
import { classificationConfigSchema } from './src/config.js';
import { trainClassifier } from './src/train-classifier.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <root>] [--max_epochs N] [--amp] [--dist N] [--resume ckpt]\n${TRAIN_ARGS_USAGE}`;

async function main(): Promise<void> {
  const args = parseTrainArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  checkTrainArgs(args);
  const cfg = await loadConfig(args.cfg, classificationConfigSchema);
  const opts = { datadir: args.datadir, maxEpochs: args.max_epochs, amp: args.amp, resume: args.resume, ckptPath: args.ckpt_path, ckptSaveDir: args.ckpt_save_dir };

  const role = await dataParallelRole(args.dist, { devices: args.device });
  const worldSize = role.kind === 'launcher' ? role.worldSize : role.kind === 'rank' ? role.dist.worldSize : 1;
  if (cfg.batch_size % worldSize !== 0) throw new ArgsError(`${worldSize} data-parallel ranks: batch_size ${cfg.batch_size} is not a multiple of ${worldSize}`);
  if (role.kind === 'launcher') {
    // Every rank runs this script with these flags; a synthetic dataset is generated (from the seed) by each.
    console.log(`[dist] ${worldSize} data-parallel processes on this machine (gradients averaged every step${args.sync_bn ? ', synchronized BatchNorm' : ''})`);
    await launchProcesses({ worldSize, devices: args.device });
    return;
  }
  const dist = role.kind === 'rank' ? { ...role.dist, syncBn: args.sync_bn } : undefined;
  const result = await trainClassifier(cfg, { ...opts, dist });
  if (!dist || dist.rank === 0) report(result);
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
    e instanceof ArgsError ? `error: ${e.message}\n${USAGE}` : e instanceof ConfigError ? `config error: ${e.message}` : e instanceof CheckpointError ? `checkpoint error: ${e.message}` : e instanceof TrainingDivergedError || e instanceof DistAbortError ? `error: ${e.message}` : (e.stack ?? String(e)),
  );
  process.exitCode = 1;
});
