import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanImageFolder } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('scanImageFolder', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const touch = async (rel: string) => {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), '');
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // Unsorted creation order, mixed extensions, noise files.
    await touch('train/n02/b.png');
    await touch('train/n02/a.JPEG');
    await touch('train/n01/z.jpg');
    await touch('train/n01/readme.txt');
    await touch('train/n01/.hidden.jpg');
    await touch('train/n01/sub/y.JPG');
    await touch('train/n10/x.jpeg');
    await touch('train/.cache/q.jpg');
    await writeFile(join(dir, 'train', 'stray.jpg'), '');
    await touch('val/n02/v.JPEG');
    await mkdir(join(dir, 'empty-split'), { recursive: true });
    await mkdir(join(dir, 'holes', 'n01'), { recursive: true });
    await touch('holes/n02/ok.png');
  });
  afterAll(() => cleanup());

  it('indexes classes in sorted folder order and finds images recursively, like ImageFolder', async () => {
    const f = await scanImageFolder(dir, { split: 'train' });
    expect(f.classes).toEqual(['n01', 'n02', 'n10']);
    expect(f.classToIndex).toEqual({ n01: 0, n02: 1, n10: 2 });
    expect(f.dir).toBe(join(dir, 'train'));
    expect(f.samples.map((s) => [s.path.slice(dir.length + 1), s.label])).toEqual([
      ['train/n01/z.jpg', 0],
      ['train/n01/sub/y.JPG', 0],
      ['train/n02/a.JPEG', 1],
      ['train/n02/b.png', 1],
      ['train/n10/x.jpeg', 2],
    ]);
  });

  it('can reuse the train class list for another split', async () => {
    const train = await scanImageFolder(dir, { split: 'train' });
    const val = await scanImageFolder(dir, { split: 'val', classes: train.classes });
    expect(val.classes).toEqual(train.classes);
    expect(val.samples).toEqual([{ path: join(dir, 'val/n02/v.JPEG'), label: 1 }]);
    await expect(scanImageFolder(dir, { split: 'train', classes: ['n01', 'n02'] })).rejects.toThrow(/not in the given class list.*n10/);
  });

  it('follows symlinks and warns once about those leading outside the root (issue 18: the documented symlink policy)', async () => {
    const t = await tempDir();
    try {
      const root = join(t.dir, 'root');
      const elsewhere = join(t.dir, 'elsewhere');
      await mkdir(join(root, 'train', 'a'), { recursive: true });
      await mkdir(join(elsewhere, 'b'), { recursive: true });
      await writeFile(join(root, 'train', 'a', '1.jpg'), 'x');
      await writeFile(join(elsewhere, 'b', '2.jpg'), 'x');
      await writeFile(join(elsewhere, '3.jpg'), 'x');
      await symlink(join(elsewhere, 'b'), join(root, 'train', 'b')); // a class folder elsewhere
      await symlink(join(elsewhere, '3.jpg'), join(root, 'train', 'a', '3.jpg')); // one file elsewhere
      await symlink(join(root, 'train', 'a', '1.jpg'), join(root, 'train', 'a', '4.jpg')); // a link inside the root
      const lines: string[] = [];
      const folder = await scanImageFolder(root, { split: 'train', log: (l) => lines.push(l) });
      expect(folder.samples.map((x) => x.path.slice(root.length + 1))).toEqual(['train/a/1.jpg', 'train/a/3.jpg', 'train/a/4.jpg', 'train/b/2.jpg']);
      expect(folder.outsideRoot).toEqual([join(root, 'train', 'b'), join(root, 'train', 'a', '3.jpg')]);
      expect(lines).toEqual([`[data-imagenet] 2 path(s) under ${root} are symlinks leading outside it (followed): ${join(root, 'train', 'b')}, ${join(root, 'train', 'a', '3.jpg')}`]);
    } finally {
      await t.cleanup();
    }
  });

  it('names the path of a missing root, a missing split or an empty root', async () => {
    const missing = join(dir, 'nope');
    await expect(scanImageFolder(missing)).rejects.toThrow(`dataset root '${missing}' does not exist`);
    await expect(scanImageFolder(dir, { split: 'test' })).rejects.toThrow(`split folder '${join(dir, 'test')}' does not exist`);
    await expect(scanImageFolder(dir, { split: 'empty-split' })).rejects.toThrow(`no class folders in '${join(dir, 'empty-split')}'`);
  });

  it('rejects class folders without images unless allowed', async () => {
    await expect(scanImageFolder(dir, { split: 'holes' })).rejects.toThrow(join(dir, 'holes', 'n01'));
    const f = await scanImageFolder(dir, { split: 'holes', allowEmptyClasses: true });
    expect(f.classes).toEqual(['n01', 'n02']);
    expect(f.samples.map((s) => s.label)).toEqual([1]);
  });
});
