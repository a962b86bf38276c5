import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';

/** Hand-built file, independent of writeSafetensors. */
function handBuilt(header: object, data: Uint8Array, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('reads a hand-built file with F32, F16, BF16, F64, I64, I32 tensors and metadata', () => {
    const buf = new ArrayBuffer(4 * 4 + 2 * 2 + 2 * 2 + 8 * 2 + 8 * 2 + 4 * 3);
    const v = new DataView(buf);
    let o = 0;
    for (const x of [1.5, -2, 0.25, 3]) { v.setFloat32(o, x, true); o += 4; }
    for (const h of [0x3c00, 0xc000]) { v.setUint16(o, h, true); o += 2; } // 1, -2 in f16
    for (const h of [0x3f80, 0x4040]) { v.setUint16(o, h, true); o += 2; } // 1, 3 in bf16
    for (const x of [0.1, -1e10]) { v.setFloat64(o, x, true); o += 8; }
    for (const x of [-5n, 2n ** 40n]) { v.setBigInt64(o, x, true); o += 8; }
    for (const x of [7, -8, 9]) { v.setInt32(o, x, true); o += 4; }
    const header = {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      h: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [20, 24] },
      d: { dtype: 'F64', shape: [2], data_offsets: [24, 40] },
      l: { dtype: 'I64', shape: [2], data_offsets: [40, 56] },
      i: { dtype: 'I32', shape: [3], data_offsets: [56, 68] },
    };
    const { tensors, metadata } = decodeSafetensors(handBuilt(header, new Uint8Array(buf), 3), 'x.safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.a).toEqual({ shape: [2, 2], dtype: 'float32', data: new Float32Array([1.5, -2, 0.25, 3]) });
    expect(Array.from(tensors.h.data as Float32Array)).toEqual([1, -2]);
    expect(tensors.h.data).toBeInstanceOf(Float32Array);
    expect(Array.from(tensors.b.data as Float32Array)).toEqual([1, 3]);
    expect(tensors.d.data).toEqual(new Float32Array([0.1, -1e10]));
    expect(tensors.l).toEqual({ shape: [2], dtype: 'int64', data: new BigInt64Array([-5n, 2n ** 40n]) });
    expect(tensors.i.data).toEqual(new Int32Array([7, -8, 9]));
  });

  it('round-trips through writeSafetensors, including F16/BF16/F64 storage of float data', () => {
    const w = new Float32Array([0.5, -1.25, 3, 1024, 6.103515625e-5, 0]);
    const bytes = writeSafetensors(
      {
        w: { shape: [2, 3], data: w },
        h: { shape: [6], data: w, dtype: 'float16' },
        bf: { shape: [6], data: w, dtype: 'bfloat16' },
        d: { shape: [3, 2], data: w, dtype: 'float64' },
        n: { shape: [], data: new BigInt64Array([42n]) },
        e: { shape: [0, 4], data: new Float32Array(0) },
      },
      { metadata: { format: 'pt' } },
    );
    expect(new DataView(bytes.buffer).getBigUint64(0, true) % 8n).toBe(0n);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata.format).toBe('pt');
    for (const k of ['w', 'h', 'bf', 'd']) expect(tensors[k].data).toEqual(w);
    expect(tensors.h.dtype).toBe('float16');
    expect(tensors.d.shape).toEqual([3, 2]);
    expect(tensors.n).toEqual({ shape: [], dtype: 'int64', data: new BigInt64Array([42n]) });
    expect(tensors.e.shape).toEqual([0, 4]);
  });

  it('accepts node Buffers that are views into a larger pool', () => {
    const bytes = writeSafetensors({ w: { shape: [3], data: new Float32Array([1, 2, 3]) } });
    const pooled = Buffer.concat([Buffer.alloc(5, 7), Buffer.from(bytes), Buffer.alloc(9, 7)]).subarray(5, 5 + bytes.length);
    expect(decodeSafetensors(pooled).tensors.w.data).toEqual(new Float32Array([1, 2, 3]));
  });

  it('rounds to nearest even when writing F16 and BF16', () => {
    const x = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 1 + 2 ** -8 + 2 ** -20]);
    const { tensors } = decodeSafetensors(
      writeSafetensors({ h: { shape: [4], data: x, dtype: 'float16' }, b: { shape: [4], data: x, dtype: 'bfloat16' } }),
    );
    expect(Array.from(tensors.h.data as Float32Array)).toEqual([1, 1 + 2 * 2 ** -10, Infinity, 1 + 2 ** -8]);
    expect(tensors.b.data[0]).toBe(1);
    expect(tensors.b.data[3]).toBe(1 + 2 ** -7);
  });

  it('reads from a path and names the file in errors (truncated data, truncated header, random bytes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const good = writeSafetensors({ w: { shape: [4, 4], data: new Float32Array(16).fill(1) } });
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, good);
    expect((await readSafetensors(path)).tensors.w.shape).toEqual([4, 4]);

    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, good.subarray(0, good.length - 10));
    await expect(readSafetensors(truncated)).rejects.toThrow(/truncated\.safetensors.*'w'.*run past the end.*truncated/);

    const headerCut = join(dir, 'cut.safetensors');
    writeFileSync(headerCut, good.subarray(0, 20));
    await expect(readSafetensors(headerCut)).rejects.toThrow(/cut\.safetensors.*header length \d+ exceeds/);

    const tiny = join(dir, 'tiny.safetensors');
    writeFileSync(tiny, good.subarray(0, 5));
    await expect(readSafetensors(tiny)).rejects.toThrow(/tiny\.safetensors.*too short/);

    const random = join(dir, 'random.bin');
    writeFileSync(random, Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    await expect(readSafetensors(random)).rejects.toThrow(/random\.bin: not a valid safetensors file/);

    await expect(readSafetensors(join(dir, 'absent.safetensors'))).rejects.toThrow(/absent\.safetensors': no such file/);
  });

  it('validates dtypes, shapes and offsets', () => {
    const data = new Uint8Array(16);
    const bad = (header: object) => () => decodeSafetensors(handBuilt(header, data), 'bad.safetensors');
    expect(bad({ w: { dtype: 'Q8', shape: [4], data_offsets: [0, 16] } })).toThrow(/bad\.safetensors.*'w'.*unsupported dtype "Q8"/);
    expect(bad({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } })).toThrow(/needs 12 bytes but data_offsets \[0, 16\] span 16/);
    expect(bad({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } })).toThrow(/shape \[-1\]/);
    expect(bad({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } })).toThrow(/data_offsets/);
    expect(
      bad({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }),
    ).toThrow(/'a' and 'b' overlap/);
    // issue 18: a zero-length tensor sorted between two overlapping ones hid the overlap; so did a range inside an earlier longer one
    expect(
      bad({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }),
    ).toThrow(/'a' and 'b' overlap/);
    expect(
      bad({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, c: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }),
    ).toThrow(/'b' and 'a' overlap/);
    expect(decodeSafetensors(handBuilt({ e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data)).tensors.e.shape).toEqual([0]);
    expect(() => decodeSafetensors(handBuilt([1, 2] as unknown as object, data), 'arr.safetensors')).toThrow(/arr\.safetensors.*not a JSON object/);
    // issue 18: a key declared twice silently took the last declaration; names with quotes and braces do not confuse the scan
    const raw = (json: string) => {
      const text = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + text.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      return out;
    };
    const w = (o: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${o},${o + 4}]}`;
    expect(() => decodeSafetensors(raw(`{"w":${w(0)},"x\\"{,":${w(4)},"w":${w(8)}}`), 'dup.safetensors')).toThrow(
      'dup.safetensors: not a valid safetensors file: tensor "w" is declared twice in the header (JSON.parse would silently keep the last)',
    );
    expect(() => decodeSafetensors(raw(`{"__metadata__":{"a":"1"},"w":${w(0)},"__metadata__":{"a":"2"}}`), 'dupmeta.safetensors')).toThrow(/"__metadata__" is declared twice/);
    expect(Object.keys(decodeSafetensors(raw(`{"__metadata__":{"w":"1","w2":"{"},"w":${w(0)},"x\\"{,":${w(4)}}`)).tensors).sort()).toEqual(['w', 'x"{,']);
  });
});
