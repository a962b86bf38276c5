import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackbone, decodeSafetensors, exportPytorchStateDict, listModels, loadModelFromDir, writeSafetensors } from '@hrnet/core';
import { listModels as listAllModels } from '@hrnet/heads';
import { runCli } from '../src/index.js';
import { torchSaveFloat32 } from '../../../test-utils/torch-zip-writer.js';
import { OTHER_CFG, TINY_CFG, maxAbsDiff, predictAll, pseudoRandom, randomizeWeights } from '../../../test-utils/weights-test-utils.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/hrnet-cls/', import.meta.url));

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join(''), err: err.join('') };
}

/** Every file of a directory (and its subdirectories) with its bytes (to prove it was not touched). */
function dirContents(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name)).toString('base64')]),
  );
}

describe('hrnet CLI', () => {
  let work: string;
  let ckpt: string;
  let cfgJson: string;
  let source: tf.LayersModel;
  let input: tf.Tensor4D;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'hrnet-cli-'));
    source = createBackbone(TINY_CFG);
    randomizeWeights(source, 5);
    ckpt = join(work, 'tiny-backbone.safetensors');
    writeFileSync(ckpt, writeSafetensors(exportPytorchStateDict(source)));
    cfgJson = join(work, 'tiny.json');
    // extra keys next to the cfg (like the fixture configs) are ignored
    writeFileSync(cfgJson, JSON.stringify({ ...TINY_CFG, name: 'tiny', bn: { eps: 1e-5 } }));
    input = tf.tensor4d(pseudoRandom(1 * 64 * 64 * 3, 21), [1, 64, 64, 3]);
  });
  afterAll(() => {
    source.dispose();
    input.dispose();
  });

  it('converts a safetensors backbone checkpoint into a tfjs directory that reloads with identical outputs', async () => {
    const out = join(work, 'backbone-tfjs');
    const r = await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', out, '--safetensors']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/converted \d+ tensors of .*tiny-backbone\.safetensors \(safetensors\) into a backbone/);
    expect(readdirSync(out).sort()).toEqual(['.hrnet-model-dir.json', 'model.json', 'weights.bin', 'weights.safetensors']);
    const loaded = await loadModelFromDir(out);
    const want = predictAll(source, input);
    predictAll(loaded, input).forEach((y, i) => expect(maxAbsDiff(y, want[i])).toBe(0));
    // the safetensors copy is the PyTorch-layout state dict
    const copy = decodeSafetensors(readFileSync(join(out, 'weights.safetensors'))).tensors;
    const orig = decodeSafetensors(readFileSync(ckpt)).tensors;
    expect(Object.keys(copy).sort()).toEqual(Object.keys(orig).sort());
    expect(copy['conv1.weight']).toEqual(orig['conv1.weight']);
    loaded.dispose();
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('converts a torch zip with a fixed input size and a registered-name-free cfg; overwrites a previous model dir', async () => {
    const pth = join(work, 'tiny.pth');
    writeFileSync(pth, torchSaveFloat32(exportPytorchStateDict(source)));
    const out = join(work, 'pth-tfjs');
    mkdirSync(out);
    writeFileSync(join(out, 'model.json'), '{}'); // a previous (stale) conversion
    const r = await cli(['convert', '--model', cfgJson, '--weights', pth, '--out', out, '--input-size', '64']);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.hrnet-model-dir.json', 'model.json', 'weights.bin']);
    const loaded = await loadModelFromDir(out);
    expect(loaded.inputs[0].shape).toEqual([null, 64, 64, 3]);
    const want = predictAll(source, input);
    predictAll(loaded, input).forEach((y, i) => expect(maxAbsDiff(y, want[i])).toBe(0));
    loaded.dispose();
  });

  it('leaves the target directory untouched when conversion fails', async () => {
    const out = join(work, 'keep-me');
    expect((await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', out])).code).toBe(0);
    const before = dirContents(out);
    const other = createBackbone(OTHER_CFG);
    const wrong = join(work, 'other-arch.safetensors');
    writeFileSync(wrong, writeSafetensors(exportPytorchStateDict(other)));
    other.dispose();
    const r = await cli(['convert', '--model', cfgJson, '--weights', wrong, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^hrnet: error: cannot load .*other-arch\.safetensors into model 'hrnet': \d+ unexpected, \d+ shape mismatches/);
    expect(r.err).toContain('stage4.0.branches.3.0.conv1.weight: checkpoint [48, 48, 3, 3] vs model [64, 64, 3, 3]');
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(dirContents(out)).toEqual(before);
    // a directory that is not a model directory is never replaced
    const notes = join(work, 'my-notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'todo.txt'), 'keep');
    const r2 = await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', notes]);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/^hrnet: error: refusing to write the model into .*my-notes: it holds 1 file\(s\) this tool did not write \(todo\.txt\)/);
    expect(readdirSync(notes)).toEqual(['todo.txt']);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('--out holding model.json and files of the user (issue 18: all but model.json / weights.bin deleted): refused, nothing touched; --force replaces only the model files', async () => {
    const out = join(work, 'mixed');
    mkdirSync(out);
    writeFileSync(join(out, 'model.json'), '{"mine": true}');
    writeFileSync(join(out, 'notes.md'), 'my notes');
    mkdirSync(join(out, 'runs'));
    writeFileSync(join(out, 'runs', 'log.txt'), 'log');
    const before = dirContents(out);
    const r = await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^hrnet: error: refusing to write the model into .*mixed: it holds 2 file\(s\) this tool did not write \(notes\.md, runs\); use a new or empty directory, or --force to replace only model\.json, weights\.bin and keep the rest\n$/);
    expect(dirContents(join(out))).toEqual(before);

    const forced = await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', out, '--safetensors', '--force']);
    expect(forced.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.hrnet-model-dir.json', 'model.json', 'notes.md', 'runs', 'weights.bin', 'weights.safetensors']);
    expect(readFileSync(join(out, 'notes.md'), 'utf8')).toBe('my notes');
    expect(readFileSync(join(out, 'runs', 'log.txt'), 'utf8')).toBe('log');
    const loaded = await loadModelFromDir(out);
    const want = predictAll(source, input);
    predictAll(loaded, input).forEach((y, i) => expect(maxAbsDiff(y, want[i])).toBe(0));
    loaded.dispose();
    // A directory only this tool wrote is still replaced as a whole (atomically), with its own earlier files.
    const own = join(work, 'own');
    expect((await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', own, '--safetensors'])).code).toBe(0);
    expect((await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', own])).code).toBe(0);
    expect(readdirSync(own).sort()).toEqual(['.hrnet-model-dir.json', 'model.json', 'weights.bin']);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a save killed mid-way leaves temp directories that the next save removes, and puts back a model dir caught between its renames', async () => {
    const out = join(work, 'killed');
    expect((await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', out])).code).toBe(0);
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    mkdirSync(join(work, `.killed.tmp-${dead}-abc123`));
    writeFileSync(join(work, `.killed.tmp-${dead}-abc123`, 'weights.bin'), 'partial');
    // killed between renaming the old dir away and the new one in: the old one is the only copy
    const moved = join(work, `.killed.tmp-${dead}-def456.old`);
    renameSync(out, moved);
    const live = join(work, `.killed.tmp-${process.pid}-ghi789`); // a save in progress (this process): left alone
    mkdirSync(live);
    expect((await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', join(work, 'unrelated')])).code).toBe(0);
    expect(existsSync(join(work, `.killed.tmp-${dead}-abc123`))).toBe(true); // another target's temps are not touched
    // the next save into `killed` restores the old dir, then replaces it
    expect((await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', out])).code).toBe(0);
    expect(readdirSync(work).filter((f) => f.startsWith('.killed.tmp-'))).toEqual([`.killed.tmp-${process.pid}-ghi789`]);
    expect(readdirSync(out).sort()).toEqual(['.hrnet-model-dir.json', 'model.json', 'weights.bin']);
    rmSync(live, { recursive: true });
  });

  it('prints one clear error line and exits 1 on bad input', async () => {
    const unknown = await cli(['convert', '--model', 'hrnet_w99', '--weights', ckpt, '--out', join(work, 'x')]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^hrnet: error: unknown model 'hrnet_w99'; valid names: .*hrnet_w18.*\n$/);
    expect(unknown.err.trim().split('\n')).toHaveLength(1);
    const missing = await cli(['convert', '--model', cfgJson, '--weights', join(work, 'nope.pth'), '--out', join(work, 'x')]);
    expect(missing.err).toMatch(/^hrnet: error: cannot read weights file '.*nope\.pth': no such file\n$/);
    const badCfg = join(work, 'bad.json');
    writeFileSync(badCfg, JSON.stringify({ ...TINY_CFG, stage2: { ...TINY_CFG.stage2, num_branches: 3 } }));
    const bad = await cli(['convert', '--model', badCfg, '--weights', ckpt, '--out', join(work, 'x')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^hrnet: error: invalid HRNet cfg:/);
    const noOpt = await cli(['convert', '--model', cfgJson]);
    expect(noOpt.code).toBe(1);
    expect(noOpt.err).toMatch(/required option '--out <dir>' not specified/);
    const noWeights = await cli(['convert', '--model', cfgJson, '--out', join(work, 'x')]);
    expect(noWeights.err).toMatch(/^hrnet: error: --weights is required with --model '.*tiny\.json' \(a name or cfg JSON gives the network, not its weights\)\n$/);
    const badInt = await cli(['convert', '--model', cfgJson, '--weights', ckpt, '--out', 'x', '--num-classes', 'ten']);
    expect(badInt.code).toBe(1);
    expect(badInt.err).toMatch(/--num-classes must be a non-negative integer, got 'ten'/);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });

  it('converts the real timm tiny classifier (head widths from the checkpoint) and reproduces its logits', async () => {
    const out = join(work, 'tiny-cls');
    const r = await cli(['convert', '--model', join(FIXTURES, 'tiny.config.json'), '--weights', join(FIXTURES, 'tiny.safetensors'), '--out', out]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/into a classifier \(10 classes\)/);
    const model = await loadModelFromDir(out);
    const f32 = (name: string) => new Float32Array(Uint8Array.from(readFileSync(join(FIXTURES, name))).buffer);
    const nchw = f32('tiny.input.bin');
    const logits = f32('tiny.logits.bin');
    const y = tf.tidy(() => (model.predict(tf.tensor4d(nchw, [2, 3, 64, 64]).transpose([0, 2, 3, 1])) as tf.Tensor).dataSync());
    const absMax = Math.max(...Array.from(logits, Math.abs));
    expect(maxAbsDiff(y, logits)).toBeLessThanOrEqual(1e-4 * Math.max(1, absMax));
    model.dispose();
  });

  it('lists every model createModel builds (classifier variants, HigherHRNet and segmentation presets)', async () => {
    const all = await cli(['list']);
    expect(all.code).toBe(0);
    const names = all.out.trim().split('\n');
    expect(names).toEqual([...names].sort());
    for (const name of [...listModels(undefined, { family: 'hrnet' }), 'higherhrnet_w32_512', 'hrnetv2_w48_cityscapes']) expect(names).toContain(name);
    expect(names).toEqual(listAllModels());
    expect(names).toContain('hrnet_w18');
    expect(names).toContain('higherhrnet_w32_512');
    expect((await cli(['list', 'higherhrnet_w32*'])).out).toBe('higherhrnet_w32_512\nhigherhrnet_w32_640\n');
    const small = await cli(['list', 'small']);
    expect(small.out.trim().split('\n')).toEqual(['hrnet_w18_small', 'hrnet_w18_small_v2']);
  });
});
