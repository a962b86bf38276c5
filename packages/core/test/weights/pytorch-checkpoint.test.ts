import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodePytorchCheckpoint, readPytorchCheckpoint } from '../../src/weights/pytorch-checkpoint.js';
import { PyDict, Pickler, stateDict, tensor, torchSave, torchZip, type TorchTensor } from '../../../../test-utils/torch-zip-writer.js';

const seq = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => (i - n / 3) * scale);

describe('PyTorch zip checkpoints', () => {
  it('round-trips a state dict: OrderedDict, _metadata BUILD, shared globals, all storage dtypes', () => {
    const sd: Record<string, TorchTensor> = {
      'conv1.weight': tensor(seq(2 * 3 * 3 * 3, 0.125), [2, 3, 3, 3]),
      'bn1.weight': tensor([1, 2], [2]),
      'bn1.running_var': tensor([0.5, 4], [2], 'float64'),
      'bn1.num_batches_tracked': tensor([7], [], 'int64'),
      'half.w': tensor([1, -2, 0.5, 1024], [2, 2], 'float16'),
      'bf.w': tensor([1, -3, 0.5], [3], 'bfloat16'),
      'idx': tensor([-1, 5, 2 ** 31 - 1], [3], 'int32'),
      'mask': tensor([1, 0, 1], [3], 'bool'),
      'bytes': tensor([255, 0], [2], 'uint8'),
      'fc.weight': { ...tensor(seq(6), [2, 3]), parameter: true },
    };
    const out = decodePytorchCheckpoint(torchSave(stateDict(sd)), 'model.pth');
    expect(Object.keys(out)).toEqual(Object.keys(sd));
    expect(out['conv1.weight']).toEqual({ shape: [2, 3, 3, 3], dtype: 'float32', data: seq(54, 0.125) });
    expect(out['bn1.running_var']).toEqual({ shape: [2], dtype: 'float64', data: new Float32Array([0.5, 4]) });
    expect(out['bn1.num_batches_tracked']).toEqual({ shape: [], dtype: 'int64', data: new BigInt64Array([7n]) });
    expect(out['half.w']).toEqual({ shape: [2, 2], dtype: 'float16', data: new Float32Array([1, -2, 0.5, 1024]) });
    expect(out['bf.w'].data).toEqual(new Float32Array([1, -3, 0.5]));
    expect(out.idx.data).toEqual(new Int32Array([-1, 5, 2 ** 31 - 1]));
    expect(out.mask).toEqual({ shape: [3], dtype: 'bool', data: new Uint8Array([1, 0, 1]) });
    expect(out.bytes.data).toEqual(new Uint8Array([255, 0]));
    expect(out['fc.weight']).toEqual({ shape: [2, 3], dtype: 'float32', data: seq(6) });
  });

  it('reads non-contiguous views (transposed strides, storage offsets, shared storages)', () => {
    const storage = { dtype: 'float32' as const, data: Float32Array.from({ length: 12 }, (_, i) => i) };
    // A = storage viewed as [3, 4]; A.T has size [4, 3], stride [1, 4]
    const sd = {
      a: { storage, offset: 0, size: [3, 4], stride: [4, 1] },
      at: { storage, offset: 0, size: [4, 3], stride: [1, 4] },
      // A[1:, ::2] → offset 4, size [2, 2], stride [4, 2]
      slice: { storage, offset: 4, size: [2, 2], stride: [4, 2] },
      // expand(3, 2) of element 5: stride 0
      bcast: { storage, offset: 5, size: [3, 2], stride: [0, 0] },
      scalar: { storage, offset: 11, size: [], stride: [] },
    };
    const out = decodePytorchCheckpoint(torchSave(stateDict(sd)), 'views.pth');
    expect(Array.from(out.a.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(out.at.shape).toEqual([4, 3]);
    expect(Array.from(out.at.data as Float32Array)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(out.slice.data as Float32Array)).toEqual([4, 6, 8, 10]);
    expect(Array.from(out.bcast.data as Float32Array)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(Array.from(out.scalar.data as Float32Array)).toEqual([11]);
    // 4-D permuted view (an NHWC-contiguous conv weight): size [2,3,2,2], memory order [O, H, W, I]
    const w = { dtype: 'float32' as const, data: Float32Array.from({ length: 24 }, (_, i) => i) };
    const nhwc = decodePytorchCheckpoint(torchSave(stateDict({ w: { storage: w, offset: 0, size: [2, 3, 2, 2], stride: [12, 1, 6, 3] } })), 'cl.pth');
    const expected: number[] = [];
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let h = 0; h < 2; h++) for (let x = 0; x < 2; x++) expected.push(o * 12 + h * 6 + x * 3 + i);
    expect(Array.from(nhwc.w.data as Float32Array)).toEqual(expected);
  });

  it('reads big-endian archives and any archive folder name', () => {
    const sd = { w: tensor([1.5, -2, 3.25], [3]), n: tensor([2 ** 40], [1], 'int64') };
    const out = decodePytorchCheckpoint(torchSave(stateDict(sd), { byteorder: 'big', archive: 'resnet_ckpt' }), 'be.pth');
    expect(out.w.data).toEqual(new Float32Array([1.5, -2, 3.25]));
    expect(out.n.data).toEqual(new BigInt64Array([2n ** 40n]));
  });

  it('unwraps state_dict / model / EMA wrappers and strips the DataParallel module. prefix', () => {
    const inner = stateDict({ 'module.conv1.weight': tensor([1, 2], [2]), 'module.fc.bias': tensor([3], [1]) });
    const wrapped = new PyDict([
      ['epoch', 90],
      ['arch', 'hrnet_w18'],
      ['state_dict', inner],
      ['state_dict_ema', stateDict({ 'conv1.weight': tensor([9, 9], [2]) })],
      ['optimizer', new PyDict([['lr', 0.1]])],
    ]);
    const out = decodePytorchCheckpoint(torchSave(wrapped), 'ckpt.pth.tar');
    expect(Object.keys(out)).toEqual(['conv1.weight', 'fc.bias']);
    expect(out['conv1.weight'].data).toEqual(new Float32Array([1, 2]));
    const ema = decodePytorchCheckpoint(torchSave(wrapped), 'ckpt.pth.tar', { key: 'state_dict_ema' });
    expect(ema['conv1.weight'].data).toEqual(new Float32Array([9, 9]));
    const model = decodePytorchCheckpoint(torchSave(new PyDict([['model', inner]])), 'm.pth');
    expect(Object.keys(model)).toEqual(['conv1.weight', 'fc.bias']);
    // only a partial prefix: left as is
    const mixed = decodePytorchCheckpoint(torchSave(stateDict({ 'module.a': tensor([1], [1]), b: tensor([2], [1]) })), 'x.pth');
    expect(Object.keys(mixed)).toEqual(['module.a', 'b']);
    expect(() => decodePytorchCheckpoint(torchSave(wrapped), 'ckpt.pth.tar', { key: 'nope' })).toThrow(/ckpt\.pth\.tar: top-level key 'nope' does not exist/);
  });

  it('gives clear errors for legacy, TorchScript, non-torch zips, missing storages and out-of-range views', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pth-'));
    const legacy = join(dir, 'old.pth');
    // pre-1.6 torch.save: a bare pickle stream starting with the magic number 0x1950a86a20f9469cfc6c
    writeFileSync(legacy, Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    await expect(readPytorchCheckpoint(legacy)).rejects.toThrow(/old\.pth: legacy \(pre-1\.6, non-zip\).*_use_new_zipfile_serialization=True.*safetensors/);

    const script = zipSync({ 'm/constants.pkl': new Uint8Array(1), 'm/code/__torch__.py': new Uint8Array(1) });
    expect(() => decodePytorchCheckpoint(script, 'scripted.pt')).toThrow(/scripted\.pt: this is a TorchScript archive/);
    expect(() => decodePytorchCheckpoint(zipSync({ 'a.txt': new Uint8Array(1) }), 'other.zip')).toThrow(/other\.zip: zip archive without <archive>\/data\.pkl/);
    expect(() => decodePytorchCheckpoint(new Uint8Array([1, 2, 3, 4, 5]), 'junk.pth')).toThrow(/junk\.pth: not a PyTorch zip checkpoint/);

    const good = torchSave(stateDict({ w: tensor(seq(8), [8]) }));
    expect(() => decodePytorchCheckpoint(good.subarray(0, good.length - 30), 'cut.pth')).toThrow(/cut\.pth: corrupt or truncated zip/);

    const p = new Pickler().proto(2).value(stateDict({ w: tensor(seq(8), [8]) }));
    expect(() => decodePytorchCheckpoint(torchZip(p.stop(), []), 'nostorage.pth')).toThrow(/nostorage\.pth: tensor 'w': storage entry 'archive\/data\/0' is missing/);
    const p2 = new Pickler().proto(2).value(stateDict({ w: tensor(seq(8), [8]) }));
    expect(() => decodePytorchCheckpoint(torchZip(p2.stop(), [new Uint8Array(12)]), 'short.pth')).toThrow(/short\.pth: tensor 'w': storage 'archive\/data\/0' has 12 bytes, needs 32/);
    const storage = { dtype: 'float32' as const, data: seq(4) };
    expect(() => decodePytorchCheckpoint(torchSave(stateDict({ w: { storage, offset: 2, size: [3], stride: [1] } })), 'oob.pth')).toThrow(/oob\.pth: tensor 'w': view .* reaches element 4 of a storage with 4/);
    expect(() => decodePytorchCheckpoint(torchSave(new PyDict([['epoch', 3]])), 'empty.pth')).toThrow(/empty\.pth: no tensors found.*epoch/);
  });

  describe('hostile files (issue 18): limits checked from the declarations, before anything is allocated', () => {
    const view = (size: number[], stride: number[]): TorchTensor => ({ storage: { dtype: 'float32', data: [1] }, offset: 0, size, stride });

    it('a ~730-byte file declaring a 2^28-element stride-0 view of one number (was: 1.2 GB RSS, 9.5 s) is refused, naming the file and tensor', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'pth-')), 'stride0.pth');
      const bytes = torchSave(stateDict({ 'conv1.weight': view([2 ** 28], [0]) }));
      expect(bytes.length).toBeLessThan(1024);
      writeFileSync(file, bytes);
      await expect(readPytorchCheckpoint(file)).rejects.toThrow(
        /stride0\.pth: tensor 'conv1\.weight': a view of 268435456 elements \(size \[268435456\], stride \[0\]\) on a storage of 1; refusing to expand a storage beyond 16777216 elements/,
      );
    });

    it('peak memory: reading the stride-0 and 2^34-element files (was: ~1.2 GB RSS) stays within 64 MiB of the bare import', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pth-peak-'));
      const files = [join(dir, 'stride0.pth'), join(dir, 'huge.pth')];
      writeFileSync(files[0], torchSave(stateDict({ w: view([2 ** 28], [0]) })));
      writeFileSync(files[1], torchSave(stateDict({ w: view([2 ** 17, 2 ** 17], [0, 0]) })));
      const script = fileURLToPath(new URL('./hostile-peak-run.ts', import.meta.url));
      const peak = (args: string[]) =>
        new Promise<string[]>((resolve, reject) =>
          execFile(process.execPath, ['--import', 'tsx', script, ...args], { timeout: 120_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim().split('\n')))),
        );
      const [[bare], [hostile, ...messages]] = await Promise.all([peak([]), peak(files)]);
      expect(messages.map((m) => m.slice(0, m.indexOf(':')))).toEqual(files);
      expect(Number(hostile) - Number(bare), `peak RSS ${hostile} MiB vs ${bare} MiB bare`).toBeLessThan(64);
    }, 240_000);

    it('a 2^34-element view (was: "RangeError: Invalid typed array length", no file named) is a clear error naming the file', () => {
      expect(() => decodePytorchCheckpoint(torchSave(stateDict({ w: view([2 ** 17, 2 ** 17], [0, 0]) })), 'huge.pth')).toThrow(/^huge\.pth: tensor 'w': a view of 17179869184 elements/);
    });

    it('small expanded views still load; the limit is configurable', () => {
      const out = decodePytorchCheckpoint(torchSave(stateDict({ w: view([2, 3], [0, 0]) })), 'ok.pth');
      expect(out.w).toEqual({ shape: [2, 3], dtype: 'float32', data: new Float32Array(6).fill(1) });
      expect(() => decodePytorchCheckpoint(torchSave(stateDict({ w: view([2, 3], [0, 0]) })), 'ok.pth', { limits: { maxExpandedElements: 4 } })).toThrow(/beyond 4 elements/);
    });

    it('a deflated storage entry that inflates 64 MiB from ~64 KB (a zip bomb; the 1 GiB one took 3.3 GB RSS, 55 s) is refused before inflating', () => {
      const storage = { dtype: 'float32' as const, data: { length: 2 ** 24 } as ArrayLike<number> };
      const pickle = new Pickler().proto(2).value(stateDict({ w: { storage, offset: 0, size: [2 ** 24], stride: [1] } })).stop();
      const zeros = new Uint8Array(2 ** 26);
      const bomb = zipSync({ 'archive/data.pkl': [pickle, { level: 0 }], 'archive/data/0': [zeros, { level: 9 }], 'archive/version': [new TextEncoder().encode('3\n'), { level: 0 }] });
      expect(bomb.length).toBeLessThan(2 ** 20);
      expect(() => decodePytorchCheckpoint(bomb, 'bomb.pth')).toThrow(/^bomb\.pth: zip entry 'archive\/data\/0' would inflate [\d.]+ MiB to 64 MiB \(over 100:1; a zip bomb\?/);
    });

    it('zip entries whose declared size differs from the storage (forged central directory) are refused', () => {
      const good = torchSave(stateDict({ w: tensor(seq(8), [8]) }));
      // Grow the declared uncompressed size of archive/data/0 in the central directory to 1 GiB.
      const forged = good.slice();
      const dv = new DataView(forged.buffer);
      const name = new TextEncoder().encode('archive/data/0');
      for (let o = 0; o < forged.length - 46; o++) {
        if (dv.getUint32(o, true) !== 0x02014b50) continue;
        const n = dv.getUint16(o + 28, true);
        if (n === name.length && forged.subarray(o + 46, o + 46 + n).every((b, i) => b === name[i])) dv.setUint32(o + 24, 2 ** 30, true);
      }
      expect(() => decodePytorchCheckpoint(forged, 'forged.pth')).toThrow(/^forged\.pth: zip entry 'archive\/data\/0' declares 1073741824 bytes, more than the 32 expected/);
    });
  });
});
