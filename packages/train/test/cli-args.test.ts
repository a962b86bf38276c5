import { describe, expect, it } from 'vitest';
import { ArgsError, checkTrainArgs, parseTrainArgs } from '../src/index.js';

describe('parseTrainArgs', () => {
  it('accepts --flag value and --flag=value for every option', () => {
    const spaced = parseTrainArgs(['--cfg', 'a.yaml', '--datadir', '/data', '--max_epochs', '7', '--resume', 'r.ckpt', '--ckpt_path', 'w.ckpt', '--amp', 'true', '--dist', '2', '--sync_bn', '--ckpt_save_dir', 'out']);
    const equals = parseTrainArgs(['--cfg=a.yaml', '--datadir=/data', '--max_epochs=7', '--resume=r.ckpt', '--ckpt_path=w.ckpt', '--amp=true', '--dist=2', '--sync_bn=true', '--ckpt_save_dir=out']);
    const expected = { cfg: 'a.yaml', datadir: '/data', max_epochs: 7, resume: 'r.ckpt', ckpt_path: 'w.ckpt', amp: true, dist: 2, sync_bn: true, ckpt_save_dir: 'out' };
    expect(spaced).toEqual(expected);
    expect(equals).toEqual(expected);
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

  it('rejects unknown flags, positionals, missing values and bad numbers, naming the flag', () => {
    expect(() => parseTrainArgs(['--epochs', '3'])).toThrow(/--epochs/);
    expect(() => parseTrainArgs(['train.yaml'])).toThrow(ArgsError);
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
    expect(() => parseTrainArgs(['--dist'])).toThrow(/--dist/);
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
