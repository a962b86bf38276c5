/**
 * The command lines (issue 17): seed 000's four `tools/train.py` forms verbatim on a tiny config and generated
 * data, yacs `KEY VALUE` overrides, a finished `--resume`, and every script's bad invocations (exit 1, one line
 * on stderr, no stack frame; those caught at parse time without importing TensorFlow.js).
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, runScript, userErrorLine } from '../../../test-utils/script-cli.js';
import { loadPoseConfig } from '../src/config.js';
import { generateSyntheticDataset } from '../src/data.js';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = (name: string) => join(exampleDir, name);
const tinyConfig = join(exampleDir, 'configs', 'tiny-cpu.yaml');

describe('coco-pose command lines', () => {
  let dir: string;
  let data: string;
  let cfg: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-cli-'));
    // The tiny config with 4 generated train images, one update per epoch; OUTPUT_DIR relative, as the official configs.
    cfg = join(dir, 'tiny.yaml');
    const text = await readFile(tinyConfig, 'utf8');
    await writeFile(cfg, text.replace('TRAIN_IMAGES: 400', 'TRAIN_IMAGES: 4').replace('VAL_IMAGES: 40', 'VAL_IMAGES: 2').replace('END_EPOCH: 6', 'END_EPOCH: 1').replace('IMAGES_PER_GPU: 8', 'IMAGES_PER_GPU: 4'));
    data = join(dir, 'coco');
    await generateSyntheticDataset(await loadPoseConfig(cfg), data);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Seed 000 (DeepSpark HigherHRNet README): `python3 ./tools/train.py --cfg … --datadir=${COCO_DATASET_PATH} --max_epochs=2 [--amp] [--dist]`.
  const forms = [[], ['--amp'], ['--dist'], ['--amp', '--dist']];
  it.each(forms.map((extra) => [extra.join(' ') || '(single GPU)', extra]))('seed 000 form %s trains 2 epochs and saves the model', async (_, extra) => {
    const cwd = join(dir, `run${forms.findIndex((f) => f.join() === (extra as string[]).join())}`);
    await mkdir(cwd);
    const r = await runScript(script('train.ts'), ['--cfg', cfg, `--datadir=${data}`, '--max_epochs=2', ...(extra as string[])], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch: \[1\/2\], .*steps: 1,/);
    expect(r.stdout).toMatch(/epoch: \[2\/2\], .*steps: 1,/);
    expect(r.stdout.includes('[train] --amp: dynamic loss scaling')).toBe(extra.includes('--amp'));
    // Bare --dist: one rank per GPU; none here, so the run is the single-process one.
    expect(r.stdout.includes('[dist] one rank per GPU device: no GPU is visible, so 1 process')).toBe(extra.includes('--dist'));
    // The official output folder OUTPUT_DIR/coco_kpt/pose_higher_hrnet/<config name>, under the working directory.
    const out = join(cwd, 'output', 'coco_kpt', 'pose_higher_hrnet', 'tiny');
    expect((await stat(join(out, 'checkpoint-epoch0002.safetensors'))).size).toBeGreaterThan(0);
    expect(r.stdout).toContain(`evaluate: npx tsx ${script('valid.ts')} --cfg ${cfg} --datadir ${data} --ckpt ${join('output', 'coco_kpt', 'pose_higher_hrnet', 'tiny', 'model')}`);
  });

  it('resuming a finished run says so and exits 0 without training; yacs KEY VALUE after the flags changes the config (here the architecture: the checkpoint no longer fits, one line)', async () => {
    const ckpt = join(dir, 'run0', 'output', 'coco_kpt', 'pose_higher_hrnet', 'tiny', 'checkpoint-epoch0002.safetensors');
    const [done, other] = await Promise.all([
      runScript(script('train.ts'), ['--cfg', cfg, '--datadir', data, '--max_epochs=2', '--resume', ckpt], { cwd: dir }),
      runScript(script('train.ts'), ['--cfg', cfg, '--datadir', data, '--max_epochs=3', '--resume', ckpt, '--ckpt_save_dir', join(dir, 'other'), 'MODEL.EXTRA.DECONV.NUM_BASIC_BLOCKS', '2'], { cwd: dir }),
    ]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout.trim()).toBe(`${ckpt} already completed epoch 2 of 2: nothing to train (to continue, raise --max_epochs above 2)`);
    expect(userErrorLine(other), other.stderr).toMatch(/^checkpoint error: .*checkpoint-epoch0002\.safetensors.*/);
  });


  it('every script: --help at once (before TensorFlow.js loads), bad flags as one line with exit 1', async () => {
    const parseTime: [string, string[], string | RegExp][] = [
      ['train.ts', [], '--cfg <config.yaml> is required'],
      ['train.ts', ['--cfg', tinyConfig, '--max_epochs', 'ten'], "--max_epochs expects a positive integer, got 'ten'"],
      ['train.ts', ['--cfg', tinyConfig, '--dist', '0'], "--dist expects a positive integer, got '0'"],
      ['train.ts', ['--cfg', tinyConfig, '--sync_bn'], '--sync_bn needs --dist N with N > 1'],
      ['train.ts', ['--cfg', tinyConfig, 'TRAIN.LR'], "unexpected argument 'TRAIN.LR': config keys after the flags come in KEY VALUE pairs"],
      ['train.ts', ['--cfg', tinyConfig, '--amp=maybe'], "--amp expects true or false, got 'maybe'"],
      ['valid.ts', [], '--ckpt is required'],
      ['valid.ts', ['--ckpt', dir, '--scales', '1,x'], "--scales expects positive numbers separated by commas, got '1,x'"],
      ['valid.ts', ['--ckpt', dir, '--limit', 'all'], "--limit expects a positive integer, got 'all'"],
      ['valid.ts', ['--bogus'], "Unknown option '--bogus'"],
      ['predict.ts', ['--ckpt', dir], '--image is required'],
      ['predict.ts', ['--ckpt', dir, '--image', 'a.jpg', '--min_score', 'high'], "--min_score expects a number, got 'high'"],
      ['demo.ts', ['--overlays', 'x'], "--overlays expects a whole number, got 'x'"],
    ];
    const help = await Promise.all(['train.ts', 'valid.ts', 'predict.ts', 'demo.ts'].map((s) => runScript(script(s), ['--help'], { noTfjs: true })));
    for (const h of help) {
      expect(h.code, h.stderr).toBe(0);
      expect(h.stdout).toMatch(/^usage: tsx \w+\.ts/);
    }
    expect(help[0].stdout).toContain('--datadir <coco root>: annotations/person_keypoints_{train,val}2017.json');
    expect(help[2].stdout).toContain("default: the config's TEST.DETECTION_THRESHOLD");
    const runs = await Promise.all(parseTime.map(([s, args]) => runScript(script(s), args, { noTfjs: true })));
    runs.forEach((r, k) => expectUserError(r, parseTime[k][2]));
    expect(runs[0].stderr).toContain('(usage: npx tsx train.ts --help)'); // as typed where it ran (the example folder)

    // Errors found after the flags: files, config keys, data (TensorFlow.js loads for these).
    const later: [string, string[], string | RegExp][] = [
      ['train.ts', ['--cfg', join(dir, 'missing.yaml')], /^config error: .*missing\.yaml: cannot read config/],
      ['train.ts', ['--cfg', cfg, 'TRAIN.LR_STEPS', '[1]'], `config error: ${cfg} with TRAIN.LR_STEPS [1]: unknown key 'TRAIN.LR_STEPS'`],
      // BACKEND wasm: 'auto' probes for a GPU in a child with a 10 s limit; on a machine loaded past it, Dawn's own
      // warnings reach stderr (core's initBackend, not the command line).
      ['train.ts', ['--cfg', cfg, '--datadir', join(dir, 'nowhere'), 'BACKEND', 'wasm'], `error: --datadir ${join(dir, 'nowhere')}: no `],
      ['valid.ts', ['--ckpt', join(dir, 'nowhere')], /^error: .*nowhere/],
    ];
    const laterRuns = await Promise.all(later.map(([s, args]) => runScript(script(s), args, { cwd: dir })));
    laterRuns.forEach((r, k) => expectUserError(r, later[k][2]));
  });
});
