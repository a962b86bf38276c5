/**
 * Issue 18's table, measured: bad inputs and faults through the real CLIs (`hrnet`, imagenet-cls `train.ts`) and
 * the library entry points, each classified as
 *   clear error: refused with one line (first line of stderr, or the error's message) naming the file / flag /
 *                field, exit code 1 for a CLI, no stack trace;
 *   handled:     a case the policy lets through (a bad sample skipped and counted, a symlink warned about), with
 *                the right result;
 *   crash:       a stack trace, another exit code, an error that names nothing (RangeError & co), or a hang;
 *   data lost:   a file that existed before the case changed or vanished (checked where the case writes);
 *   silent wrong: success reported with a wrong result (bad input accepted, non-finite weights saved, ...).
 *
 *   npx tsx bench/reliability-sweep.ts            (about 3-6 min on 2 loaded cores: it trains a few tiny runs)
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createBackbone, decodeSafetensors, exportPytorchStateDict, readPytorchCheckpoint, readSafetensors, writeSafetensors } from '@hrnet/core';
import { runCli } from '@hrnet/cli';
import { CocoKeypointsTrainSet, decodeRgb, generateSyntheticCocoKeypoints, loadCocoKeypoints } from '@hrnet/data-coco';
import { decodeImage, generateImageFolderDataset, scanImageFolder } from '@hrnet/data-imagenet';
import { loadCheckpoint, parseTrainArgs } from '@hrnet/train';
import { cmykJpegCorpus } from '../test-utils/cmyk-jpeg.js';
import { Pickler, stateDict, torchSave, torchSaveFloat32, torchZip, type TorchTensor } from '../test-utils/torch-zip-writer.js';
import { TINY_CFG } from '../test-utils/weights-test-utils.js';
import { pointEncoder } from '../packages/data-coco/test/point-encoder.js';

type Verdict = 'clear error' | 'handled' | 'crash' | 'silent wrong';
interface Result {
  name: string;
  verdict: Verdict;
  dataLost: boolean;
  detail: string;
}

const results: Result[] = [];
const exampleDir = fileURLToPath(new URL('../examples/imagenet-cls/', import.meta.url));
const firstLine = (s: string) => s.split('\n').find((l) => l.trim() && !/^=+$|TensorFlow\.js in Node\.js/.test(l)) ?? '';
const hasStack = (s: string) => /^\s+at .+:\d+:\d+\)?$/m.test(s);

/** Every file under `dir` with its bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) out.set(join(e.parentPath, e.name), (await readFile(join(e.parentPath, e.name))).toString('base64'));
  }
  return out;
}
const lost = (before: Map<string, string>, after: Map<string, string>, keep: (p: string) => boolean = () => true) =>
  [...before].some(([p, b]) => keep(p) && after.get(p) !== b);

/** An API call that must be refused naming `token`. */
async function refuses(name: string, token: string | RegExp, f: () => unknown): Promise<void> {
  try {
    await f();
    results.push({ name, verdict: 'silent wrong', dataLost: false, detail: 'accepted' });
  } catch (err) {
    const e = err as Error;
    const msg = e.message ?? String(e);
    const named = typeof token === 'string' ? msg.includes(token) : token.test(msg);
    const clear = named && !msg.includes('\n') && !(e instanceof RangeError) && !(e instanceof TypeError);
    results.push({ name, verdict: clear ? 'clear error' : 'crash', dataLost: false, detail: `${e.name}: ${msg.slice(0, 160)}` });
  }
}

/** A case the policy lets through: `check` says whether the result is right. */
async function handles(name: string, f: () => Promise<boolean | string>): Promise<void> {
  try {
    const ok = await f();
    results.push({ name, verdict: ok === true ? 'handled' : 'silent wrong', dataLost: false, detail: ok === true ? 'ok' : String(ok) });
  } catch (err) {
    results.push({ name, verdict: 'crash', dataLost: false, detail: (err as Error).message.slice(0, 160) });
  }
}

const tsx = (args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('npx', ['tsx', 'train.ts', ...args], { cwd: exampleDir, timeout: 300_000, maxBuffer: 32 << 20 }, (_e, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });

/** A train.ts run that must fail with one line naming `token`; `watch` is a folder whose files must survive. */
async function trainRefuses(name: string, args: string[], token: string | RegExp, watch?: { dir: string; keep?: (p: string) => boolean }): Promise<void> {
  const before = watch ? await snapshot(watch.dir) : undefined;
  const r = await tsx(args);
  const line = firstLine(r.stderr);
  const named = typeof token === 'string' ? line.includes(token) : token.test(line);
  const verdict: Verdict = r.code === 0 ? 'silent wrong' : r.code === 1 && named && !hasStack(r.stderr) ? 'clear error' : 'crash';
  const dataLost = before ? lost(before, await snapshot(watch!.dir), watch!.keep) : false;
  results.push({ name, verdict, dataLost, detail: `exit ${r.code}: ${line.slice(0, 160)}` });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'hrnet-sweep-'));
  try {
    await tf.setBackend('cpu');
    // ---- weight files (library readers, and `hrnet convert`) ----
    const f32 = (o: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${o},${o + 4}]}`;
    const st = (json: string, data = 16) => {
      const t = new TextEncoder().encode(json);
      const b = new Uint8Array(8 + t.length + data);
      new DataView(b.buffer).setBigUint64(0, BigInt(t.length), true);
      b.set(t, 8);
      return b;
    };
    await refuses('safetensors: duplicate key', '"w" is declared twice', () => decodeSafetensors(st(`{"w":${f32(0)},"w":${f32(4)}}`), 'dup.safetensors'));
    await refuses('safetensors: overlap hidden by a zero-length tensor', "'a' and 'b' overlap", () =>
      decodeSafetensors(st(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`), 'ov.safetensors'),
    );
    await refuses('safetensors: header length 2^60', 'h.safetensors', () => decodeSafetensors(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 16, 0, 0]), 'h.safetensors'));
    await refuses('safetensors: offsets past the data', 'run past the end', () => decodeSafetensors(st(`{"w":${f32(100)}}`), 'past.safetensors'));
    await refuses('safetensors: bad dtype', 'unsupported dtype', () => decodeSafetensors(st(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}`), 'q.safetensors'));
    await refuses('safetensors: header not JSON', 'not valid UTF-8 JSON', () => decodeSafetensors(st('{"w":'), 'j.safetensors'));
    await refuses('safetensors: missing file', 'absent.safetensors', () => readSafetensors(join(work, 'absent.safetensors')));
    const view = (size: number[], stride: number[]): TorchTensor => ({ storage: { dtype: 'float32', data: [1] }, offset: 0, size, stride });
    const pth = async (name: string, bytes: Uint8Array) => {
      const p = join(work, name);
      await writeFile(p, bytes);
      return p;
    };
    const stride0 = await pth('stride0.pth', torchSave(stateDict({ w: view([2 ** 28], [0]) })));
    await refuses('.pth: 2^28-element stride-0 view (774 B)', 'stride0.pth', () => readPytorchCheckpoint(stride0));
    const huge = await pth('huge.pth', torchSave(stateDict({ w: view([2 ** 17, 2 ** 17], [0, 0]) })));
    await refuses('.pth: 2^34-element view', 'huge.pth', () => readPytorchCheckpoint(huge));
    // GLOBAL os.system, the argument, TUPLE1, REDUCE, STOP inside a torch zip.
    const pwned = join(work, 'pwned');
    const evilPickle = new Pickler().proto(2).global('os', 'system').str(`touch ${pwned}`).bytes(0x85, 0x52, 0x2e).stop().slice(0, -1);
    const evil = await pth('evil.pth', torchZip(evilPickle, []));
    await refuses('.pth: pickle calling os.system', /evil\.pth.*os\.system|os\.system.*evil\.pth/, () => readPytorchCheckpoint(evil));
    if (await readFile(pwned).then(() => true, () => false)) results.push({ name: '.pth: os.system RAN', verdict: 'silent wrong', dataLost: false, detail: 'code executed' });
    const truncated = await pth('trunc.pth', torchSaveFloat32({ w: { shape: [64], data: new Float32Array(64) } }).subarray(0, 120));
    await refuses('.pth: truncated zip', 'trunc.pth', () => readPytorchCheckpoint(truncated));
    const random = await pth('random.pth', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    await refuses('.pth: random bytes', 'random.pth', () => readPytorchCheckpoint(random));

    // hrnet convert --out into folders of the user
    const model = createBackbone(TINY_CFG);
    const weights = join(work, 'w.safetensors');
    await writeFile(weights, writeSafetensors(Object.fromEntries(Object.entries(exportPytorchStateDict(model, { naming: 'timm' })).map(([k, v]) => [k, v]))));
    const cfgJson = join(work, 'cfg.json');
    await writeFile(cfgJson, JSON.stringify(TINY_CFG));
    for (const [name, files] of [
      ['convert --out: model.json + notes of the user', { 'model.json': '{"mine":1}', 'notes.md': 'n' }],
      ['convert --out: a folder of the user', { 'data.csv': '1,2' }],
    ] as const) {
      const out = join(work, `out-${results.length}`);
      await mkdir(out);
      for (const [f, text] of Object.entries(files)) await writeFile(join(out, f), text);
      const before = await snapshot(out);
      const err: string[] = [];
      const code = await runCli(['convert', '--model', cfgJson, '--weights', weights, '--out', out], { out: () => undefined, err: (s) => err.push(s) });
      const line = firstLine(err.join(''));
      results.push({
        name,
        verdict: code === 0 ? 'silent wrong' : code === 1 && line.includes(out) && !hasStack(err.join('')) ? 'clear error' : 'crash',
        dataLost: lost(before, await snapshot(out)),
        detail: `exit ${code}: ${line.slice(0, 160)}`,
      });
    }
    model.dispose();

    // ---- flags ----
    for (const [argv, token] of [
      [['--max_epochs', '-1'], "--max_epochs expects a positive integer, got '-1'"],
      [['--max_epochs', '2.5'], '--max_epochs'],
      [['--dist', '0'], '--dist'],
      [['--amp=maybe'], '--amp'],
      [['--bad_samples', 'ignore'], '--bad_samples'],
      [['--epochs', '3'], '--epochs'],
      [['--datadir='], '--datadir'],
    ] as const) {
      await refuses(`flags: ${argv.join(' ')}`, token, () => parseTrainArgs([...argv]));
    }

    // ---- images ----
    const img = join(work, 'img');
    await mkdir(img);
    const png = await import('sharp').then((m) => m.default({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).png().toBuffer());
    await writeFile(join(img, 'trunc.png'), png.subarray(0, png.length >> 1));
    await writeFile(join(img, 'empty.jpg'), '');
    await writeFile(join(img, 'text.jpg'), 'not an image');
    const { pngHeaderOnly } = await import('../test-utils/hostile-png.js');
    await writeFile(join(img, 'big.png'), pngHeaderOnly(16000, 16000));
    for (const f of ['trunc.png', 'empty.jpg', 'text.jpg', 'missing.jpg']) {
      await refuses(`decode (coco): ${f}`, f, () => decodeRgb(join(img, f)));
      await refuses(`decode (imagenet): ${f}`, f, () => decodeImage(join(img, f)));
    }
    await refuses('decode (coco): 16000x16000 PNG header (pixel budget)', 'pixel budget', () => decodeRgb(join(img, 'big.png')));
    for (const { name, jpeg, pil } of await cmykJpegCorpus()) {
      await handles(`CMYK JPEG as PIL: ${name}`, async () => {
        const a = (await decodeRgb(jpeg)).data;
        const b = (await decodeImage(jpeg)).data;
        const worst = Math.max(...Array.from(pil, (v, i) => Math.max(Math.abs(a[i] - v), Math.abs(b[i] - v))));
        return worst <= 1 || `max |diff| ${worst}/255`;
      });
    }

    // ---- COCO data ----
    const coco = join(work, 'coco');
    await generateSyntheticCocoKeypoints(coco, { split: 'train', images: 8, size: 64, seed: 2 });
    const cocoImg = (id: number) => join(coco, 'images', 'train2017', `00000000000${id}.jpg`);
    const annFile = join(coco, 'annotations', 'person_keypoints_train2017.json');
    const ann = JSON.parse(await readFile(annFile, 'utf8'));
    await rm(cocoImg(2));
    await writeFile(cocoImg(3), '');
    const jpg = await readFile(cocoImg(5));
    await writeFile(cocoImg(5), jpg.subarray(0, jpg.length >> 1));
    const open = (badSamples?: 'skip' | 'fail', extra = {}) =>
      CocoKeypointsTrainSet.open({ root: coco, split: 'train2017', config: { inputSize: 64 }, encoder: pointEncoder([16, 32]), badSamples, log: () => undefined, ...extra });
    await handles('coco: missing + empty + truncated image, skip (set opens, epoch completes, 3 counted)', async () => {
      const set = await open();
      let n = 0;
      const skipped: string[] = [];
      for await (const b of set.batches({ batchSize: 2, shuffle: false, onEpochSkipped: (l) => skipped.push(...l.map((s) => s.path)) })) n += b.size;
      return (set.excluded.length === 2 && skipped.length === 1 && n === 5) || `excluded ${set.excluded.length}, skipped ${skipped.length}, samples ${n}`;
    });
    await refuses('coco: missing + empty image, --bad_samples fail', cocoImg(2), () => open('fail'));
    const badAnn = async (name: string, mutate: (j: typeof ann) => void, token: string | RegExp) => {
      const j = JSON.parse(JSON.stringify(ann));
      mutate(j);
      const f = join(work, `${name.replace(/\W+/g, '-')}.json`);
      await writeFile(f, JSON.stringify(j));
      await refuses(`coco annotations: ${name}`, token, () => loadCocoKeypoints(f));
    };
    await badAnn('bad RLE string', (j) => (j.annotations[0] = { ...j.annotations[0], iscrowd: 1, segmentation: { counts: '\u0001!!', size: [64, 64] } }), /annotation.*\d/);
    await badAnn('17 keypoints as 50 numbers', (j) => (j.annotations[0].keypoints = j.annotations[0].keypoints.slice(1)), /keypoints/);
    await badAnn('image id missing', (j) => (j.annotations[0].image_id = 999), /999/);
    await badAnn('width negative', (j) => (j.images[0].width = -5), /width/);
    await refuses('coco annotations: file missing', 'nope.json', () => loadCocoKeypoints(join(work, 'nope.json')));
    await handles('coco: images/ symlinked outside the root (followed, warned once)', async () => {
      const root = join(work, 'coco-link');
      await generateSyntheticCocoKeypoints(root, { split: 'train', images: 2, size: 64, seed: 4 });
      const { rename } = await import('node:fs/promises');
      await rename(join(root, 'images', 'train2017'), join(work, 'shared'));
      await symlink(join(work, 'shared'), join(root, 'images', 'train2017'));
      const lines: string[] = [];
      const set = await CocoKeypointsTrainSet.open({ root, split: 'train2017', config: { inputSize: 64 }, encoder: pointEncoder([16]), log: (l) => lines.push(l) });
      return (set.length === 2 && lines.length === 1 && lines[0].includes('symlinks leading outside')) || lines.join(' | ');
    });
    await handles('imagenet: class folder symlinked outside the root (followed, warned once)', async () => {
      const root = join(work, 'inet');
      await generateImageFolderDataset(root, { classes: 2, trainPerClass: 1, valPerClass: 1, size: 16, seed: 1 });
      const cls = (await readdir(join(root, 'train'))).sort()[0];
      const { rename } = await import('node:fs/promises');
      await rename(join(root, 'train', cls), join(work, 'cls-elsewhere'));
      await symlink(join(work, 'cls-elsewhere'), join(root, 'train', cls));
      const lines: string[] = [];
      const f = await scanImageFolder(root, { split: 'train', log: (l) => lines.push(l) });
      return (f.samples.length === 2 && f.outsideRoot.length === 1 && lines.length === 1) || lines.join(' | ');
    });

    // ---- training runs through imagenet-cls train.ts ----
    const data = join(work, 'cls-data');
    await generateImageFolderDataset(data, { classes: 2, trainPerClass: 4, valPerClass: 2, size: 36, seed: 1 });
    const demo = await readFile(join(exampleDir, 'configs', 'demo-tiny.yaml'), 'utf8');
    const small = join(work, 'small.yaml');
    await writeFile(small, `${demo}\n`.replace(/^batch_size: .*$/m, 'batch_size: 4'));
    const runDir = join(work, 'run-a');
    const first = await tsx(['--cfg', small, '--datadir', data, '--max_epochs', '1', '--ckpt_save_dir', runDir]);
    results.push({ name: 'train.ts: a plain run (baseline)', verdict: first.code === 0 ? 'handled' : 'crash', dataLost: false, detail: firstLine(first.stderr) || 'ok' });
    const ckptFile = join(runDir, (await readdir(runDir)).find((f) => f.endsWith('epoch0001.safetensors'))!);
    const pthFile = await pth('weights.pth', torchSaveFloat32({ w: { shape: [2], data: new Float32Array(2) } }));
    await Promise.all([
      trainRefuses('train.ts: new run into a folder of another run', ['--cfg', small, '--datadir', data, '--max_epochs', '1', '--ckpt_save_dir', runDir], runDir, { dir: runDir }),
      trainRefuses('train.ts: --resume file.pth', ['--cfg', small, '--datadir', data, '--resume', pthFile], 'use --ckpt_path'.replace('use ', 'pass it with ')),
    ]);
    await Promise.all([
      trainRefuses('train.ts: --resume a truncated checkpoint', ['--cfg', small, '--datadir', data, '--resume', await pth('cut.safetensors', (await readFile(ckptFile)).subarray(0, 5000))], 'cut.safetensors'),
      trainRefuses('train.ts: --max_epochs -1', ['--cfg', small, '--max_epochs', '-1'], '--max_epochs'),
    ]);
    const lr = join(work, 'lr1e8.yaml');
    await writeFile(lr, (await readFile(small, 'utf8')).replace(/^ {2}lr: .*$/m, '  lr: 1.0e+8'));
    const divergeDir = join(work, 'run-lr');
    const diverged = await tsx(['--cfg', lr, '--datadir', data, '--max_epochs', '2', '--ckpt_save_dir', divergeDir]);
    let nonFinite = 0;
    for (const f of await readdir(divergeDir).catch(() => [] as string[])) {
      for (const t of Object.values((await loadCheckpoint(join(divergeDir, f))).tensors)) nonFinite += Array.from(t.data as Float32Array).filter((v) => !Number.isFinite(v)).length;
    }
    const dline = firstLine(diverged.stderr);
    results.push({
      name: 'train.ts: lr 1e8 (diverges)',
      verdict: nonFinite > 0 || diverged.code === 0 ? 'silent wrong' : diverged.code === 1 && /training diverged/.test(dline) && !hasStack(diverged.stderr) ? 'clear error' : 'crash',
      dataLost: false,
      detail: `exit ${diverged.code}, ${nonFinite} non-finite values saved: ${dline.slice(0, 120)}`,
    });
    const trunc = join(data, 'train', (await readdir(join(data, 'train'))).sort()[0]);
    const victim = join(trunc, (await readdir(trunc)).sort()[0]);
    const vb = await readFile(victim);
    await writeFile(victim, vb.subarray(0, vb.length >> 1));
    const [skip] = await Promise.all([
      tsx(['--cfg', small, '--datadir', data, '--max_epochs', '1']),
      trainRefuses('train.ts: truncated image, --bad_samples fail', ['--cfg', small, '--datadir', data, '--max_epochs', '1', '--bad_samples', 'fail'], victim),
    ]);
    results.push({
      name: 'train.ts: truncated image, default skip (counted, run completes)',
      verdict: skip.code === 0 && skip.stdout.includes('skipped 1 corrupt image') ? 'handled' : skip.code === 0 ? 'silent wrong' : 'crash',
      dataLost: false,
      detail: `exit ${skip.code}`,
    });
    const forcedBefore = await snapshot(runDir);
    const forced = await tsx(['--cfg', small, '--datadir', data, '--max_epochs', '2', '--ckpt_save_dir', runDir, '--force']);
    const after = await snapshot(runDir);
    // --force may replace same-named files (epoch 1, best); everything else of the other run must stay.
    const keep = (p: string) => !/epoch0001|best/.test(p);
    results.push({ name: 'train.ts --force beside another run', verdict: forced.code === 0 ? 'handled' : 'crash', dataLost: lost(forcedBefore, after, keep), detail: `exit ${forced.code}` });
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  for (const r of results) console.log(`${r.verdict.padEnd(12)} ${r.dataLost ? 'DATA LOST ' : ''}${r.name}  — ${r.detail}`);
  console.log(`\n| cases tried | clear errors | handled as the policy says | crashes | data lost | silent wrong results |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| ${results.length} | ${count('clear error')} | ${count('handled')} | ${count('crash')} | ${results.filter((r) => r.dataLost).length} | ${count('silent wrong')} |`);
  console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

await main();
