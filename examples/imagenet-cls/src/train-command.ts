import { ArgsError, type TrainArgs } from '@hrnet/train/cli';
import { checkResume, ConfigError, dataParallelRole, dataParallelWorld, launchProcesses } from '@hrnet/train';
import { loadClassificationConfig } from './config.js';
import { trainClassifier } from './train-classifier.js';

/**
 * train.ts after its flags are parsed: the config (ours or MindCV's, with the command line's overrides), a
 * finished `--resume` said and left alone, then one run or `--dist` ranks.
 */
export async function runClassifierTraining(args: TrainArgs & { cfg: string }): Promise<void> {
  // Bare --dist (or MindCV's distribute: True): one rank per GPU; with no GPU backend in use that is one process.
  const dist = (yamlDistribute: boolean) => args.dist ?? ((args.distribute ?? yamlDistribute) ? 'all' : undefined);
  const { cfg, mindcv } = await loadClassificationConfig(args.cfg, { overrides: args.overrides, worldSize: (d) => dataParallelWorld(dist(d), { devices: args.device }) });
  if (mindcv?.notApplied.length) console.warn(`[config] ${args.cfg}: MindCV keys not applied here: ${mindcv.notApplied.join(', ')}`);
  const world = dataParallelWorld(dist(mindcv?.distribute ?? false), { devices: args.device });
  if (dist(mindcv?.distribute ?? false) === 'all' && world === 1) console.log('[dist] one rank per GPU device: no GPU is visible, so 1 process');

  const opts = {
    datadir: args.datadir ?? mindcv?.dataDir,
    maxEpochs: args.max_epochs,
    amp: args.amp,
    resume: args.resume,
    ckptPath: args.ckpt_path ?? mindcv?.ckptPath,
    pretrained: args.pretrained,
    ckptSaveDir: args.ckpt_save_dir,
    force: args.force,
    badSamples: args.bad_samples,
  };
  if (args.resume) {
    const finished = await checkResume(args.resume, args.max_epochs ?? cfg.epochs, cfg.begin_epoch || undefined);
    if (finished) return console.log(finished);
  } else if (cfg.begin_epoch > 0) {
    throw new ConfigError(`${args.cfg}: begin_epoch ${cfg.begin_epoch} needs --resume <the checkpoint of epoch ${cfg.begin_epoch}>`);
  }

  const role = await dataParallelRole(world, { devices: args.device });
  if (cfg.batch_size % world !== 0) throw new ArgsError(`${world} data-parallel ranks: batch_size ${cfg.batch_size} is not a multiple of ${world}`);
  if (role.kind === 'launcher') {
    // Every rank runs this script with these flags; a synthetic dataset is generated (from the seed) by each.
    console.log(`[dist] ${world} data-parallel processes on this machine (gradients averaged every step${args.sync_bn ? ', synchronized BatchNorm' : ''})`);
    return launchProcesses({ worldSize: world, devices: args.device });
  }
  const rank = role.kind === 'rank' ? { ...role.dist, syncBn: args.sync_bn } : undefined;
  const result = await trainClassifier(cfg, { ...opts, dist: rank });
  if (!rank || rank.rank === 0) report(result);
}

type Summary = Pick<Awaited<ReturnType<typeof trainClassifier>>, 'seconds' | 'backend' | 'top1' | 'top5' | 'numClasses' | 'dataWaitPct'>;

function report(r: Summary): void {
  const top5 = r.top5 != null ? `, top-5 ${(r.top5 * 100).toFixed(1)}%` : '';
  console.log(
    `done in ${r.seconds.toFixed(1)} s on ${r.backend}: val top-1 ${(r.top1 * 100).toFixed(1)}%${top5} ` +
      `(${r.numClasses} classes, chance ${(100 / r.numClasses).toFixed(1)}%); waited on data ${r.dataWaitPct.toFixed(1)}% of the training time`,
  );
}
