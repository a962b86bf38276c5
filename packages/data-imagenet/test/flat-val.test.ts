import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFlatImageFolder } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('scanFlatImageFolder (val/*.JPEG + labels file)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const classes = ['n01', 'n02', 'n03'];
  const file = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    for (const n of ['ILSVRC2012_val_00000002.JPEG', 'ILSVRC2012_val_00000001.JPEG', 'ILSVRC2012_val_00000003.JPEG', 'notes.txt']) await file(n, '');
  });
  afterAll(() => cleanup());

  it('reads "<file> <label>" lines with wnids or indices, with or without extension', async () => {
    const labels = await file('val.txt', '# comment\nILSVRC2012_val_00000001.JPEG n03\nILSVRC2012_val_00000002 0\n\nILSVRC2012_val_00000003.JPEG 1\n');
    const f = await scanFlatImageFolder(dir, { labelsFile: labels, classes });
    expect(f.samples.map((s) => [s.path.slice(-13), s.label])).toEqual([
      ['00000002.JPEG', 0],
      ['00000003.JPEG', 1],
      ['00000001.JPEG', 2],
    ]);
    expect(f.classes).toEqual(classes);
  });

  it("reads Kaggle's LOC_val_solution.csv (first token of PredictionString)", async () => {
    const labels = await file('LOC_val_solution.csv', 'ImageId,PredictionString\nILSVRC2012_val_00000003,n02 1 2 3 4 n02 5 6 7 8\nILSVRC2012_val_00000001,n01 0 0 1 1\nILSVRC2012_val_00000002,n03 9 9 9 9\n');
    const f = await scanFlatImageFolder(dir, { labelsFile: labels, classes });
    expect(Object.fromEntries(f.samples.map((s) => [s.path.slice(-6, -5), s.label]))).toEqual({ '1': 0, '2': 2, '3': 1 });
  });

  it('reads one label per line for the images in sorted order', async () => {
    const labels = await file('bare.txt', 'n02\nn02\n0\n');
    const f = await scanFlatImageFolder(dir, { labelsFile: labels, classes });
    expect(f.samples.map((s) => [s.path.slice(-6, -5), s.label])).toEqual([['3', 0], ['1', 1], ['2', 1]]);
  });

  it('reports problems with the file and line', async () => {
    const unknown = await file('u.txt', 'ILSVRC2012_val_00000001.JPEG n99\n');
    await expect(scanFlatImageFolder(dir, { labelsFile: unknown, classes })).rejects.toThrow(`${unknown}:1: unknown label 'n99'`);
    const missing = await file('m.txt', 'ILSVRC2012_val_00000009.JPEG n01\n');
    await expect(scanFlatImageFolder(dir, { labelsFile: missing, classes })).rejects.toThrow(`${missing}:1: no image 'ILSVRC2012_val_00000009.JPEG'`);
    const partial = await file('p.txt', 'ILSVRC2012_val_00000001.JPEG n01\n');
    await expect(scanFlatImageFolder(dir, { labelsFile: partial, classes })).rejects.toThrow(/2 image\(s\) without a label/);
    const short = await file('s.txt', 'n01\n');
    await expect(scanFlatImageFolder(dir, { labelsFile: short, classes })).rejects.toThrow(/has 1 labels for 3 images/);
    await expect(scanFlatImageFolder(dir, { labelsFile: join(dir, 'nope.txt'), classes })).rejects.toThrow(/cannot read labels file/);
  });
});
