import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, createOptimizer, loadConfig, parseConfig, parseOverrideValue, SGD, trainConfigSchema } from '../src/index.js';

describe('config', () => {
  let dir: string;
  const file = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-train-cfg-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads YAML and fills defaults', async () => {
    const cfg = await loadConfig(await file('ok.yaml', 'epochs: 3\nbatch_size: 8\noptimizer:\n  lr: 0.05\n'));
    expect(cfg).toEqual({
      seed: 0,
      epochs: 3,
      batch_size: 8,
      micro_batch: 'auto',
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 1e-4, weight_decay_filter: 'rank2', decay: 0.9, betas: [0.9, 0.999], clip_mode: 'norm' },
      scheduler: { name: 'cosine', warmup_epochs: 0, warmup_lr: 0, min_lr: 0, warmup_prefix: false, gamma: 0.1, per_step: true },
      loss_scale: { type: 'none', drop_overflow_update: false, growth_interval: 2000 },
      checkpoint: { keep_max: 10, every: 1 },
      eval_interval: 1,
    });
    const opt = createOptimizer(cfg.optimizer) as SGD;
    expect([opt.learningRate, opt.momentum, opt.nesterov, opt.weightDecay]).toEqual([0.05, 0.9, true, 1e-4]);
    expect((createOptimizer({ ...cfg.optimizer, name: 'momentum' }) as SGD).nesterov).toBe(false);
  });

  it('an unknown key is an error naming the file and the key, at any depth', async () => {
    const top = await file('top.yaml', 'epochs: 3\nbatch_size: 8\nepocs: 4\noptimizer: { lr: 0.1 }\n');
    await expect(loadConfig(top)).rejects.toThrow(`${top}: unknown key 'epocs'`);
    const nested = await file('nested.yaml', 'epochs: 3\nbatch_size: 8\noptimizer: { lr: 0.1, nesterov: true }\n');
    await expect(loadConfig(nested)).rejects.toThrow(`${nested}: unknown key 'optimizer.nesterov'`);
    await expect(loadConfig(nested)).rejects.toBeInstanceOf(ConfigError);
  });

  it('a bad value names its key; several problems are all listed', async () => {
    const p = await file('bad.yaml', 'epochs: three\nbatch_size: -1\noptimizer: { lr: 0.1, name: lamb }\n');
    const err = (await loadConfig(p).catch((e: Error) => e)) as Error;
    expect(err.message).toContain("'epochs'");
    expect(err.message).toContain("'batch_size'");
    expect(err.message).toContain("'optimizer.name'");
    await expect(loadConfig(await file('missing.yaml', 'epochs: 1\nbatch_size: 1\n'))).rejects.toThrow(/'optimizer'/);
  });

  it('task schemas extend the base one and stay strict', async () => {
    const schema = trainConfigSchema.extend({ model: z.strictObject({ name: z.string() }) });
    const base = { epochs: 1, batch_size: 2, optimizer: { lr: 0.1 } };
    expect(parseConfig({ ...base, model: { name: 'x' } }, schema).model.name).toBe('x');
    expect(() => parseConfig({ ...base, model: { name: 'x', depth: 3 } }, schema, 'cfg.yaml')).toThrow("cfg.yaml: unknown key 'model.depth'");
    expect(() => parseConfig({ ...base, model: { name: 'x' }, extra: 1 }, schema)).toThrow("unknown key 'extra'");
  });

  it('micro_batch: auto (default) or a positive integer; anything else names the key', () => {
    const base = { epochs: 1, batch_size: 12, optimizer: { lr: 0.1 } };
    expect(parseConfig({ ...base, micro_batch: 3 }, trainConfigSchema).micro_batch).toBe(3);
    expect(parseConfig({ ...base, micro_batch: 'auto' }, trainConfigSchema).micro_batch).toBe('auto');
    for (const bad of [0, 2.5, 'max']) expect(() => parseConfig({ ...base, micro_batch: bad }, trainConfigSchema, 'cfg.yaml')).toThrow(/cfg\.yaml: 'micro_batch'/);
  });

  it('reports unreadable files and invalid YAML with the path', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(loadConfig(missing)).rejects.toThrow(`${missing}: cannot read config`);
    const broken = await file('broken.yaml', 'epochs: [1, 2\n');
    await expect(loadConfig(broken)).rejects.toThrow(`${broken}: invalid YAML`);
  });
  it('applies command-line overrides (MindCV --key value, yacs KEY VALUE) before validating; an unknown one names the flag', async () => {
    const f = await file('ovr.yaml', 'epochs: 3\nbatch_size: 8\noptimizer:\n  lr: 0.05\n');
    const given = (key: string, value: string) => ({ key, value, given: `--${key} ${value}` });
    const cfg = await loadConfig(f, trainConfigSchema, { overrides: [given('batch_size', '4'), given('optimizer.lr', '1e-3'), given('scheduler.milestones', '[2, 4]')] });
    expect([cfg.batch_size, cfg.optimizer.lr, cfg.scheduler.milestones]).toEqual([4, 1e-3, [2, 4]]);
    await expect(loadConfig(f, trainConfigSchema, { overrides: [given('epoch', '2')] })).rejects.toThrow(`${f} with --epoch 2: unknown key 'epoch'`);
    await expect(loadConfig(f, trainConfigSchema, { overrides: [given('epochs.x', '2')] })).rejects.toThrow("--epochs.x 2: 'epochs' is a value, not a section");
    expect([parseOverrideValue('True'), parseOverrideValue('0.5'), parseOverrideValue('hrnet_w32'), parseOverrideValue('[0.08, 1.0]'), parseOverrideValue('(True, False)')]).toEqual([true, 0.5, 'hrnet_w32', [0.08, 1], '(True, False)']);
    const translated = await loadConfig(f, trainConfigSchema, { overrides: [given('lr', '0.2')], translate: (d) => { const { lr, ...rest } = d as { lr: number; optimizer: object }; return { ...rest, optimizer: { lr } }; } });
    expect(translated.optimizer.lr).toBe(0.2);
  });
});
