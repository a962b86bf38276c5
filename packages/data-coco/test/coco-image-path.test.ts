import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertSafeImageFileName, cocoImageDir, createCocoImageResolver, resolveCocoImagePath } from '../src/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'data-coco-images-'));
mkdirSync(path.join(root, 'nested', 'images', 'val2017'), { recursive: true });
mkdirSync(path.join(root, 'flat', 'train2017'), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('COCO image paths', () => {
  it('finds images/{split}/ or {split}/ automatically', () => {
    expect(resolveCocoImagePath({ root: path.join(root, 'nested'), split: 'val2017' }, '000000000139.jpg')).toBe(
      path.join(root, 'nested', 'images', 'val2017', '000000000139.jpg'),
    );
    expect(resolveCocoImagePath({ root: path.join(root, 'flat'), split: 'train2017' }, '000000000009.jpg')).toBe(
      path.join(root, 'flat', 'train2017', '000000000009.jpg'),
    );
    expect(() => cocoImageDir({ root: path.join(root, 'flat'), split: 'val2017' })).toThrow(
      /no image folder for split 'val2017'.*tried images\/val2017\/ and val2017\//,
    );
  });

  it('uses the layout it is told, without touching the disk', () => {
    expect(cocoImageDir({ root: '/data/coco', split: 'val2017', layout: 'images' })).toBe(path.resolve('/data/coco/images/val2017'));
    expect(cocoImageDir({ root: '/data/coco', split: 'val2017', layout: 'flat' })).toBe(path.resolve('/data/coco/val2017'));
  });

  it('rejects file names that escape the image folder', () => {
    const resolve = createCocoImageResolver({ root: path.join(root, 'nested'), split: 'val2017' });
    for (const bad of ['../secret.jpg', '../../etc/passwd', 'a/../../b.jpg', '..\\x.jpg', '/etc/passwd', 'C:\\x.jpg', 'c:x.jpg', '\\\\server\\share\\x.jpg', '', 'a\0.jpg', '..']) {
      expect(() => resolve(bad), JSON.stringify(bad)).toThrow(/unsafe image file name/);
    }
    expect(() => assertSafeImageFileName('../x.jpg')).toThrow("unsafe image file name \"../x.jpg\": '..' segments would escape the image folder");
    expect(() => assertSafeImageFileName('/abs.jpg')).toThrow('absolute paths are not allowed');
  });

  it('allows ordinary names, sub-folders and names that merely start with dots', () => {
    const resolve = createCocoImageResolver({ root: path.join(root, 'nested'), split: 'val2017' });
    const dir = path.join(root, 'nested', 'images', 'val2017');
    expect(resolve('sub/x.jpg')).toBe(path.join(dir, 'sub', 'x.jpg'));
    expect(resolve('..hidden.jpg')).toBe(path.join(dir, '..hidden.jpg'));
  });

  it('rejects a split that is not a plain folder name', () => {
    for (const split of ['../val2017', 'a/b', '', '.', '..']) {
      expect(() => cocoImageDir({ root, split, layout: 'flat' }), split).toThrow(/invalid split name/);
    }
  });
});
