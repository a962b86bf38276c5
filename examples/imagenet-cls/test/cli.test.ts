/**
 * The command lines (issue 17): seed 001's MindCV forms with MindCV's own yaml, seed 002's MindSpore scripts
 * (standalone, eval, resume), on generated data; every script's bad invocations (exit 1, one line on stderr,
 * no stack frame; those caught at parse time without importing TensorFlow.js).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateImageFolderDataset } from '@hrnet/data-imagenet';
import { loadConfig } from '@hrnet/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, runCommand, runScript } from '../../../test-utils/script-cli.js';
import { classificationConfigSchema } from '../src/config.js';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = (name: string) => join(exampleDir, name);
const demoConfig = join(exampleDir, 'configs', 'demo-tiny.yaml');
const mindcvW32 = join(exampleDir, 'configs', 'hrnet', 'hrnet_w32_ascend.yaml');
/** MindCV's own flags that shrink its recipe to seconds: the smallest HRNet, 2 classes, 32 px, batch 2, 1 epoch. */
const MINDCV_SMALL = ['--model', 'hrnet_w18_small', '--num_classes', '2', '--image_resize', '32', '--batch_size', '2', '--epoch_size', '1', '--num_parallel_workers', '0'];


describe('imagenet-cls command lines', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-imagenet-cls-cli-'));
    data = join(dir, 'imagenet');
    await generateImageFolderDataset(data, { classes: 2, trainPerClass: 2, valPerClass: 1, size: 36, seed: 1 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("seed 001: MindCV's train.py forms (distributed, --distribute False) with MindCV's own yaml, then validate.py -c … --ckpt_path", async () => {
    const [dist, standalone] = await Promise.all([
      // mpirun -n 8 python train.py --config configs/hrnet/hrnet_w32_ascend.yaml --data_dir /path/to/imagenet (mpirun is the launcher's; distribute: True in the yaml)
      runScript(script('train.ts'), ['--config', mindcvW32, '--data_dir', data, ...MINDCV_SMALL, '--ckpt_save_dir', join(dir, 'mindcv-dist')], { cwd: dir }),
      // python train.py --config configs/hrnet/hrnet_w32_ascend.yaml --data_dir /path/to/dataset --distribute False
      runScript(script('train.ts'), ['--config', mindcvW32, '--data_dir', data, '--distribute', 'False', ...MINDCV_SMALL, '--ckpt_save_dir', join(dir, 'mindcv')], { cwd: dir }),
    ]);
    for (const r of [dist, standalone]) {
      expect(r.code, r.stderr).toBe(0);
      // The yaml as it is: one warning naming what is not applied here, nothing else on stderr.
      expect(r.stderr.trim()).toBe(
        `[config] ${mindcvW32}: MindCV keys not applied here: mode, dataset_download, auto_augment 'randaug-m7-mstd0.5', re_prob 0.1, mixup 0.2, cutmix 1, cutmix_prob 1, dataset_sink_mode, amp_level 'O2'`,
      );
      expect(r.stdout).toContain('[model] hrnet_w18_small');
      expect(r.stdout).toContain('[train] loss scaling: {"type":"static","scale":1024');
      expect(r.stdout).toMatch(/epoch: \[1\/1\], .*steps: 2,.* val top1: [\d.]+/);
    }
    expect(dist.stdout).toContain('[dist] one rank per GPU device: no GPU is visible, so 1 process');
    expect(standalone.stdout).not.toContain('[dist]');
    const ckpt = join(dir, 'mindcv', 'hrnet_w18_small-epoch0001.safetensors');
    // ckpt_save_policy top_k: the best checkpoint besides the epoch's
    expect((await readdir(join(dir, 'mindcv'))).sort()).toEqual(['hrnet_w18_small-best.safetensors', 'hrnet_w18_small-epoch0001.safetensors']);
    // python validate.py -c configs/hrnet/hrnet_w32_ascend.yaml --data_dir /path/to/imagenet --ckpt_path /path/to/ckpt
    const val = await runScript(script('validate.ts'), ['-c', mindcvW32, '--data_dir', data, '--ckpt_path', ckpt, '--model', 'hrnet_w18_small', '--num_classes', '2', '--image_resize', '32'], { cwd: dir });
    expect(val.code, val.stderr).toBe(0);
    expect(val.stdout).toMatch(/2 images, [\d.]+ s on \w+\n\{'Top_1_Accuracy': [\d.]+, 'Loss': [\d.]+\}/);
  });

  it("seed 002: MindSpore's run_standalone_train.sh (train, resume at BEGIN_EPOCH with EVAL_DATASET) and run_eval.sh print its eval keys; predict.ts names the top classes", async () => {
    // The MindSpore recipe (RMSProp, linear warmup, label smoothing, loss scale 1024, its eval keys) on the demo's tiny network.
    const ms = await loadConfig(join(exampleDir, 'configs', 'mindspore-hrnetw48_cls.yaml'), classificationConfigSchema);
    const demo = await loadConfig(demoConfig, classificationConfigSchema);
    const tiny = (epochs: number) => ({ ...ms, epochs, batch_size: 2, model: { ...demo.model, num_classes: undefined }, data: { ...ms.data, image_size: 32, workers: 0, prefetch: 1 }, scheduler: { ...ms.scheduler, warmup_epochs: 0.5 }, checkpoint: { ...ms.checkpoint, dir: undefined }, metrics_log: undefined });
    const cfg1 = join(dir, 'ms-1.yaml');
    const cfg2 = join(dir, 'ms-2.yaml');
    await writeFile(cfg1, JSON.stringify(tiny(1))); // JSON is YAML
    await writeFile(cfg2, JSON.stringify(tiny(2)));
    const sh = (name: string, args: string[], cfg: string) => runCommand('bash', [join(exampleDir, 'scripts', name), ...args], dir, { env: { HRNET_CFG: cfg } });
    const out = join(dir, 'ms-out');
    const train = await sh('run_standalone_train.sh', [join(data, 'train'), out], cfg1);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/epoch: \[1\/1\], .*steps: 2,/);
    const ckpt = join(out, 'hrnet-epoch0001.safetensors');
    const image = join(data, 'val', (await readdir(join(data, 'val')))[0]);
    const firstImage = join(image, (await readdir(image))[0]);
    const [evaluated, resumed, finished, wrongEpoch, tooFew, predicted] = await Promise.all([
      sh('run_eval.sh', [join(data, 'val'), ckpt], cfg1),
      sh('run_standalone_train.sh', [join(data, 'train'), out, ckpt, '1', join(data, 'val')], cfg2),
      sh('run_standalone_train.sh', [join(data, 'train'), out, ckpt, '1'], cfg1),
      sh('run_standalone_train.sh', [join(data, 'train'), out, ckpt, '5'], cfg2),
      sh('run_eval.sh', [join(data, 'val')], cfg1),
      // and predict.ts with the checkpoint: the top classes of an image, named from the dataset's classes.txt
      runScript(script('predict.ts'), ['--cfg', cfg1, '--ckpt_path', ckpt, '--class_names', join(data, 'classes.txt'), '--image', firstImage], { cwd: dir }),
    ]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/\n\{'Loss': [\d.]+, 'Top_1_Acc': [\d.]+\}\n$/);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).not.toMatch(/epoch: \[1\/2\]/);
    expect(resumed.stdout).toMatch(/epoch: \[2\/2\], .*steps: 2,.* val top1: [\d.]+/);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stdout.trim()).toBe(`${ckpt} already completed epoch 1 of 1: nothing to train (to continue, raise --max_epochs above 1)`);
    expectUserError(wrongEpoch, `checkpoint error: ${ckpt} completed epoch 1, not the begin epoch 5 that was given`);
    expect(predicted.code, predicted.stderr).toBe(0);
    const names = (await readFile(join(data, 'classes.txt'), 'utf8')).trim().split('\n').map((l) => l.split(' ').slice(1).join(' '));
    expect(predicted.stdout).toMatch(new RegExp(`${firstImage}:\\n( +[\\d.]+%  (${names.join('|')}) \\([01]\\)\\n){2}$`));
    expectUserError(tooFew, 'error: expected 2 arguments, got 1 (usage: bash scripts/run_eval.sh DATASET_PATH CHECKPOINT_PATH)');
  });

  it('every script: --help at once (before TensorFlow.js loads), bad flags as one line with exit 1', async () => {
    const ckpt = join(dir, 'none.safetensors');
    const parseTime: [string, string[], string | RegExp][] = [
      ['train.ts', [], '--cfg <config.yaml> is required'],
      ['train.ts', ['--cfg', demoConfig, '--dist', 'x'], "--dist expects a positive integer, got 'x'"],
      ['train.ts', ['--cfg', demoConfig, 'extra'], "unexpected argument 'extra'"],
      ['validate.ts', [], '--cfg is required'],
      ['validate.ts', ['-c', demoConfig], '--datadir is required'],
      ['validate.ts', ['-c', demoConfig, '--data_dir', data], '--ckpt_path is required'],
      ['validate.ts', ['-c', demoConfig, '--data_dir', data, '--ckpt_path', ckpt, '--batch_size', '0'], "--batch_size expects a positive integer, got '0'"],
      ['predict.ts', ['--cfg', demoConfig, '--ckpt_path', ckpt], '--image is required'],
      ['predict.ts', ['--cfg', demoConfig, '--ckpt_path', ckpt, '--image', 'a.jpg', '--topk', '0'], "--topk expects a positive integer, got '0'"],
      ['demo.ts', ['--max_epochs', '0'], "--max_epochs expects a positive integer, got '0'"],
      ['demo.ts', ['--bogus'], "Unknown option '--bogus'"],
    ];
    const help = await Promise.all(['train.ts', 'validate.ts', 'predict.ts', 'demo.ts'].map((s) => runScript(script(s), ['--help'], { noTfjs: true })));
    for (const h of help) {
      expect(h.code, h.stderr).toBe(0);
      expect(h.stdout).toMatch(/^usage: tsx \w+\.ts/);
    }
    const runs = await Promise.all(parseTime.map(([s, args]) => runScript(script(s), args, { noTfjs: true })));
    runs.forEach((r, k) => expectUserError(r, parseTime[k][2]));

    // Errors found after the flags: config keys, data, files (TensorFlow.js loads for these).
    const later: [string, string[], string | RegExp][] = [
      ['train.ts', ['--cfg', demoConfig, '--lrr', '1'], `config error: ${demoConfig} with --lrr 1: unknown key 'lrr'`],
      ['train.ts', ['--config', mindcvW32, '--lrr', '1'], `config error: ${mindcvW32} with --lrr 1: --lrr 1: not an option of MindCV's train.py/validate.py`],
      // --backend wasm: 'auto' probes for a GPU in a child with a 10 s limit; on a machine loaded past it, Dawn's own
      // warnings reach stderr (core's initBackend, not the command line).
      ['train.ts', ['--cfg', demoConfig, '--datadir', join(dir, 'nowhere'), '--backend', 'wasm'], `error: ImageFolder: dataset root '${join(dir, 'nowhere')}' does not exist`],
      ['predict.ts', ['--cfg', demoConfig, '--ckpt_path', ckpt, '--image', 'a.jpg'], '--class_names is required'],
    ];
    const laterRuns = await Promise.all(later.map(([s, args]) => runScript(script(s), args, { cwd: dir })));
    laterRuns.forEach((r, k) => expectUserError(r, later[k][2]));
  });

  it('the MindCV yaml copies are the upstream files below their header', async () => {
    for (const w of ['32', '48']) {
      const text = await readFile(join(exampleDir, 'configs', 'hrnet', `hrnet_w${w}_ascend.yaml`), 'utf8');
      const body = text.slice(text.indexOf('# system\n'));
      expect(body).toMatch(new RegExp(`^# system\\nmode: 0\\ndistribute: True\\n[^]*model: "hrnet_w${w}"[^]*opt: 'adamw'\\nweight_decay: 0\\.05\\nloss_scale: 1024\\n$`));
    }
  });
});
