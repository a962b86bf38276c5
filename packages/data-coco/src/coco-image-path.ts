import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a split's images live under the dataset root:
 * - `'images'`: `{root}/images/{split}/` (the bottom-up pose repositories' `data/coco` layout)
 * - `'flat'`: `{root}/{split}/` (the layout of the official zip files)
 * - `'auto'`: whichever of the two exists, `images/{split}` first.
 */
export type CocoImageLayout = 'images' | 'flat' | 'auto';

export interface CocoImagePathOptions {
  /** Dataset root, e.g. `data/coco`. */
  root: string;
  /** Split folder name, e.g. `val2017`. */
  split: string;
  /** Default `'auto'`. */
  layout?: CocoImageLayout;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The folder holding the images of a split. `'auto'` needs one of the two candidates to exist. */
export function cocoImageDir({ root, split, layout = 'auto' }: CocoImagePathOptions): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(split)) {
    throw new Error(`invalid split name '${split}': expected a single folder name such as 'val2017'`);
  }
  const nested = path.resolve(root, 'images', split);
  const flat = path.resolve(root, split);
  if (layout === 'images') return nested;
  if (layout === 'flat') return flat;
  if (isDirectory(nested)) return nested;
  if (isDirectory(flat)) return flat;
  throw new Error(`no image folder for split '${split}' under ${path.resolve(root)}: tried images/${split}/ and ${split}/`);
}

/**
 * Rejects file names that could leave the image folder: empty names, NUL bytes, absolute
 * paths (POSIX, Windows drive or UNC) and any `..` segment. Sub-folders are allowed.
 */
export function assertSafeImageFileName(fileName: string): void {
  const bad = (why: string): never => {
    throw new Error(`unsafe image file name ${JSON.stringify(fileName)}: ${why}`);
  };
  if (fileName.length === 0) bad('empty');
  if (fileName.includes('\0')) bad('contains a NUL byte');
  if (path.posix.isAbsolute(fileName) || path.win32.isAbsolute(fileName) || /^[A-Za-z]:/.test(fileName)) {
    bad('absolute paths are not allowed');
  }
  if (fileName.split(/[\\/]/).some((seg) => seg === '..')) bad("'..' segments would escape the image folder");
}

/** Resolves `file_name` of a COCO image to a path inside the split's image folder. */
export function resolveCocoImagePath(options: CocoImagePathOptions, fileName: string): string {
  return createCocoImageResolver(options)(fileName);
}

/**
 * Returns a resolver bound to one split; the folder (and the `'auto'` layout choice) is
 * looked up once.
 */
export function createCocoImageResolver(options: CocoImagePathOptions): (fileName: string) => string {
  const dir = cocoImageDir(options);
  return (fileName: string) => {
    assertSafeImageFileName(fileName);
    const resolved = path.resolve(dir, fileName);
    const rel = path.relative(dir, resolved);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new Error(`unsafe image file name ${JSON.stringify(fileName)}: resolves outside ${dir}`);
    }
    return resolved;
  };
}
