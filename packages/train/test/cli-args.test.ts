import { describe, expect, it } from 'vitest';
import { ArgsError, checkTrainArgs, dataParallelWorld, parseTrainArgs } from '../src/index.js';

describe('parseTrainArgs', () => {
  it('accepts --flag value and --flag=value for every option', () => {
    const spaced = parseTrainArgs(['--cfg', 'a.yaml', '--datadir', '/data', '--max_epochs', '7', '--resume', 'r.ckpt', '--ckpt_path', 'w.ckpt', '--amp', 'true', '--dist', '2', '--sync_bn', '--ckpt_save_dir', 'out']);
    const equals = parseTrainArgs(['--cfg=a.yaml', '--datadir=/data', '--max_epochs=7', '--resume=r.ckpt', '--ckpt_path=w.ckpt', '--amp=true', '--dist=2', '--sync_bn=true', '--ckpt_save_dir=out']);
    const expected = { cfg: 'a.yaml', datadir: '/data', max_epochs: 7, resume: 'r.ckpt', ckpt_path: 'w.ckpt', amp: true, dist: 2, sync_bn: true, ckpt_save_dir: 'out' };
    expect(spaced).toEqual(expected);
    expect(equals).toEqual(expected);
  });

  it('--pretrained: bare for the default tag, or a tag; false turns it off', () => {
    expect(parseTrainArgs(['--pretrained', '--cfg', 'x'])).toEqual({ pretrained: true, cfg: 'x' });
    expect(parseTrainArgs(['--cfg', 'x', '--pretrained'])).toEqual({ pretrained: true, cfg: 'x' });
    expect(parseTrainArgs(['--pretrained', 'ms_aug_in1k'])).toEqual({ pretrained: 'ms_aug_in1k' });
    expect(parseTrainArgs(['--pretrained=false'])).toEqual({});
    expect(() => parseTrainArgs(['--pretrained='])).toThrow('--pretrained expects a value');
  });

  it('boolean flags also work bare and accept 1/0/yes/no', () => {
    expect(parseTrainArgs(['--amp', '--cfg', 'x'])).toEqual({ amp: true, cfg: 'x' });
    expect(parseTrainArgs(['--sync_bn'])).toEqual({ sync_bn: true });
    expect(parseTrainArgs(['--amp', '0', '--sync_bn', 'YES'])).toEqual({ amp: false, sync_bn: true });
    expect(parseTrainArgs([])).toEqual({});
    expect(parseTrainArgs(['-h'])).toEqual({ help: true });
  });

  it('--force and --bad_samples (issue 18: one data policy for every training script; a folder of another run needs --force)', () => {
    expect(parseTrainArgs(['--force', '--bad_samples', 'fail'])).toEqual({ force: true, bad_samples: 'fail' });
    expect(parseTrainArgs(['--force=false', '--bad_samples=skip'])).toEqual({ force: false, bad_samples: 'skip' });
    expect(() => parseTrainArgs(['--bad_samples', 'ignore'])).toThrow(new ArgsError("--bad_samples expects skip or fail, got 'ignore'"));
    expect(() => parseTrainArgs(['--bad_samples'])).toThrow(/--bad_samples/);
  });

  it('rejects stray positionals, missing values and bad numbers, naming the flag', () => {
    expect(() => parseTrainArgs(['train.yaml'])).toThrow("unexpected argument 'train.yaml': config keys after the flags come in KEY VALUE pairs");
    expect(() => parseTrainArgs(['TRAIN.LR', '0.1', 'TRAIN.END_EPOCH'])).toThrow("unexpected argument 'TRAIN.END_EPOCH'");
    expect(() => parseTrainArgs(['--cfg', '--amp'])).toThrow(/--cfg/);
    expect(() => parseTrainArgs(['--cfg', 'a', '--config', 'b'])).toThrow('--cfg and --config are the same flag: give one');
    expect(() => parseTrainArgs(['--dist', '2', '--distribute', 'False'])).toThrow(/contradict/);
    expect(() => parseTrainArgs(['-x'])).toThrow(ArgsError);
    expect(() => parseTrainArgs(['--cfg'])).toThrow(/--cfg/);
    expect(() => parseTrainArgs(['--max_epochs', 'ten'])).toThrow("--max_epochs expects a positive integer, got 'ten'");
    expect(() => parseTrainArgs(['--max_epochs=0'])).toThrow(/--max_epochs/);
    // issue 18: a negative value said "ambiguous" instead of what is expected
    expect(() => parseTrainArgs(['--max_epochs', '-1'])).toThrow("--max_epochs expects a positive integer, got '-1'");
    expect(() => parseTrainArgs(['--dist', '-2'])).toThrow("--dist expects a positive integer, got '-2'");
    expect(() => parseTrainArgs(['--max_epochs=2.5'])).toThrow(/--max_epochs/);
    expect(() => parseTrainArgs(['--amp=maybe'])).toThrow("--amp expects true or false, got 'maybe'");
    expect(() => parseTrainArgs(['--datadir='])).toThrow('--datadir expects a value');
    expect(() => parseTrainArgs(['--dist', 'true'])).toThrow("--dist expects a positive integer, got 'true'");
  });

  it('takes the seeds\' command lines verbatim: bare --dist, MindCV flags, config keys as --key value and yacs KEY VALUE', () => {
    // seed 000 (DeepSpark HigherHRNet tools/train.py)
    expect(parseTrainArgs(['--cfg', './configs/coco/w32_512_adam_lr1e-3.yaml', '--datadir=/coco', '--max_epochs=2', '--amp', '--dist'])).toEqual({
      cfg: './configs/coco/w32_512_adam_lr1e-3.yaml', datadir: '/coco', max_epochs: 2, amp: true, dist: 'all',
    });
    expect(parseTrainArgs(['--dist', '--amp'])).toEqual({ dist: 'all', amp: true });
    expect(parseTrainArgs(['--dist', '3'])).toEqual({ dist: 3 });
    // HigherHRNet's yacs opts after the flags
    expect(parseTrainArgs(['--cfg', 'w32.yaml', '--dist', 'TRAIN.IMAGES_PER_GPU', '4', 'TRAIN.END_EPOCH', '2'])).toEqual({
      cfg: 'w32.yaml', dist: 'all',
      overrides: [
        { key: 'TRAIN.IMAGES_PER_GPU', value: '4', given: 'TRAIN.IMAGES_PER_GPU 4' },
        { key: 'TRAIN.END_EPOCH', value: '2', given: 'TRAIN.END_EPOCH 2' },
      ],
    });
    // seed 001 (MindCV train.py / validate.py)
    expect(parseTrainArgs(['--config', 'configs/hrnet/hrnet_w32_ascend.yaml', '--data_dir', '/imagenet', '--distribute', 'False'])).toEqual({
      cfg: 'configs/hrnet/hrnet_w32_ascend.yaml', datadir: '/imagenet', distribute: false,
    });
    expect(parseTrainArgs(['-c', 'a.yaml', '--data_dir=/d', '--ckpt_path', '/c.ckpt', '--distribute'])).toEqual({ cfg: 'a.yaml', datadir: '/d', ckpt_path: '/c.ckpt', distribute: true });
    // any MindCV config key as --key value (bare: True, as its str2bool flags)
    expect(parseTrainArgs(['--batch_size', '64', '--lr=0.01', '--ema', '--optimizer.lr', '-0.5', '--cfg', 'x'])).toEqual({
      cfg: 'x',
      overrides: [
        { key: 'batch_size', value: '64', given: '--batch_size 64' },
        { key: 'lr', value: '0.01', given: '--lr=0.01' },
        { key: 'ema', value: 'True', given: '--ema' },
        { key: 'optimizer.lr', value: '-0.5', given: '--optimizer.lr -0.5' },
      ],
    });
  });

  it('dataParallelWorld: bare --dist is one rank per GPU, one process without one; a rank takes its launcher\'s', () => {
    const alone = { env: {} };
    expect([
      dataParallelWorld(undefined, alone),
      dataParallelWorld('all', { ...alone, gpuCount: 0 }),
      dataParallelWorld('all', { ...alone, gpuCount: 4 }),
      dataParallelWorld(3, { ...alone, gpuCount: 4 }),
      dataParallelWorld(undefined, { env: { OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '2' } }),
    ]).toEqual([1, 1, 4, 3, 2]);
  });
});

describe('checkTrainArgs', () => {
  it('requires --cfg, and --dist N > 1 with --sync_bn', () => {
    expect(() => checkTrainArgs({})).toThrow('--cfg <config.yaml> is required');
    expect(() => checkTrainArgs({ cfg: 'a.yaml', sync_bn: true })).toThrow('--sync_bn needs --dist N with N > 1');
    expect(() => checkTrainArgs({ cfg: 'a.yaml', sync_bn: true, dist: 1 })).toThrow(ArgsError);
    expect(() => checkTrainArgs({ cfg: 'a.yaml', sync_bn: true, dist: 2 })).not.toThrow();
  });
});

describe('--device and launched ranks', () => {
  it('--device takes comma-separated GPU indices; --sync_bn is accepted in a rank started by mpirun', () => {
    expect(parseTrainArgs(['--device', '2,3'])).toEqual({ device: [2, 3] });
    expect(() => parseTrainArgs(['--device', '0,x'])).toThrow("--device expects comma-separated device indices, got '0,x'");
    process.env.OMPI_COMM_WORLD_RANK = '0';
    process.env.OMPI_COMM_WORLD_SIZE = '2';
    try {
      expect(() => checkTrainArgs({ cfg: 'a.yaml', sync_bn: true })).not.toThrow();
    } finally {
      delete process.env.OMPI_COMM_WORLD_RANK;
      delete process.env.OMPI_COMM_WORLD_SIZE;
    }
  });
});
