import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { outsideRootWarning, pathsOutsideRoot } from '@hrnet/core';

/** File extensions read by default, compared case-insensitively (ImageNet uses `.JPEG`). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpeg', '.jpg', '.png'];

export interface ImageSample {
  /** Absolute path of the image file. */
  path: string;
  /** Class index: the position of the class folder among the sorted class names. */
  label: number;
}

export interface ImageFolder {
  /** Absolute dataset root. */
  root: string;
  /** The split read (`train`, `val`, ...), or undefined when the root itself holds the class folders. */
  split?: string;
  /** Absolute directory holding the class folders (`<root>/<split>`). */
  dir: string;
  /** Class folder names (ImageNet wnids) in index order. */
  classes: string[];
  /** Class name -> index. */
  classToIndex: Record<string, number>;
  /** All images, sorted by class then path, as torchvision's `ImageFolder.samples`. */
  samples: ImageSample[];
  /** Symlinks (files or folders) under the root leading outside it: followed and warned about (@hrnet/core's `pathsOutsideRoot`). */
  outsideRoot: string[];
}

export interface ScanImageFolderOptions {
  /** Sub-folder of the root to read, e.g. `'train'` or `'val'`. */
  split?: string;
  /** Allowed file extensions (with dot, case-insensitive). Default {@link IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
  /**
   * A fixed class list (index order), e.g. the train split's classes when reading val. A class folder
   * not in it is an error; a class of it without a folder simply has no samples. Default: the sorted
   * class folder names.
   */
  classes?: readonly string[];
  /** Accept class folders without images instead of throwing. Default false (as torchvision). */
  allowEmptyClasses?: boolean;
  /** Where the warning about symlinks leading outside the root goes. Default `console.warn`. */
  log?: (line: string) => void;
}

/**
 * Reads an ImageNet-style folder tree, `<root>/<split>/<wnid>/**\/*.{JPEG,jpg,png}`, like torchvision's
 * `ImageFolder`: class indices follow the sorted folder names, files are found recursively in sorted
 * order, hidden entries are ignored. Throws an error naming the path for a missing or empty root,
 * a missing split, no class folders, or (unless allowed) a class folder without images.
 */
export async function scanImageFolder(root: string, opts: ScanImageFolderOptions = {}): Promise<ImageFolder> {
  const absRoot = resolve(root);
  await requireDir(absRoot, `ImageFolder: dataset root '${absRoot}' does not exist`);
  const dir = opts.split ? join(absRoot, opts.split) : absRoot;
  if (opts.split) {
    await requireDir(dir, `ImageFolder: split folder '${dir}' does not exist (expected <root>/${opts.split}/<class>/<image>)`);
  }
  const extensions = (opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());

  const folders: string[] = [];
  const links: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isSymbolicLink()) links.push(join(dir, entry.name));
    if (await isDirectory(join(dir, entry.name), entry)) folders.push(entry.name);
  }
  folders.sort(byCodePoint);
  if (folders.length === 0) {
    throw new Error(`ImageFolder: no class folders in '${dir}' (expected ${dir}/<class>/<image>)`);
  }

  const classes = opts.classes ? [...opts.classes] : folders;
  const classToIndex: Record<string, number> = Object.create(null);
  classes.forEach((c, i) => (classToIndex[c] = i));
  const unknown = folders.filter((f) => !(f in classToIndex));
  if (unknown.length > 0) {
    throw new Error(`ImageFolder: class folder(s) not in the given class list under '${dir}': ${unknown.join(', ')}`);
  }

  const samples: ImageSample[] = [];
  const empty: string[] = [];
  for (const cls of classes) {
    if (!folders.includes(cls)) continue;
    const files = await listImages(join(dir, cls), extensions, links);
    if (files.length === 0) empty.push(join(dir, cls));
    for (const path of files) samples.push({ path, label: classToIndex[cls] });
  }
  if (empty.length > 0 && !opts.allowEmptyClasses) {
    throw new Error(
      `ImageFolder: no images (${extensions.join(', ')}) in class folder(s): ${empty.join(', ')}`,
    );
  }
  // Only links are resolved (one call each): a million-image tree costs nothing more.
  const outsideRoot = await pathsOutsideRoot(absRoot, links);
  if (outsideRoot.length) (opts.log ?? ((l: string) => console.warn(l)))(outsideRootWarning('data-imagenet', absRoot, outsideRoot));
  return { root: absRoot, split: opts.split, dir, classes, classToIndex, samples, outsideRoot };
}

/** Compares like Python's `sorted()` on str (code points), independent of locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function requireDir(path: string, message: string): Promise<void> {
  let ok = false;
  try {
    ok = (await stat(path)).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(message);
}

async function isDirectory(path: string, entry: { isDirectory(): boolean; isSymbolicLink(): boolean }): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Files of `dir` first, then each sub-folder, all sorted: the order of torchvision's `sorted(os.walk(dir))`. */
async function listImages(dir: string, extensions: string[], links: string[]): Promise<string[]> {
  const files: string[] = [];
  const subdirs: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => byCodePoint(a.name, b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) links.push(path);
    if (await isDirectory(path, entry)) subdirs.push(path);
    else if (extensions.some((ext) => entry.name.toLowerCase().endsWith(ext))) files.push(path);
  }
  for (const sub of subdirs) files.push(...(await listImages(sub, extensions, links)));
  return files;
}

export interface ScanFlatImageFolderOptions {
  /**
   * Labels file. Accepted line formats (blank lines and `#` comments ignored):
   * - `<file name> <label>` or `<file name>,<label>`, the name with or without extension — e.g. the
   *   common `val.txt` (`ILSVRC2012_val_00000001.JPEG 65`) or a `name wnid` list;
   * - Kaggle's `LOC_val_solution.csv` (`ImageId,PredictionString` header; the label is the first token of
   *   PredictionString);
   * - one `<label>` per line, for the images in sorted file-name order.
   * A label is a class name (wnid) from `classes`, or a 0-based class index. Note: the devkit's
   * `ILSVRC2012_validation_ground_truth.txt` holds 1-based ILSVRC2012_IDs, which are *not* the sorted-wnid
   * order: convert it to wnids first.
   */
  labelsFile: string;
  /** Class names in index order, normally the train split's (`scanImageFolder(root, { split: 'train' }).classes`). */
  classes: readonly string[];
  /** Default {@link IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
}

/**
 * Reads the flat validation layout (`<dir>/*.JPEG` with labels in a separate file) as an
 * {@link ImageFolder} with the given class order. Every image must have a label and every label an
 * image; errors name the file and line.
 */
export async function scanFlatImageFolder(dir: string, opts: ScanFlatImageFolderOptions): Promise<ImageFolder> {
  const absDir = resolve(dir);
  await requireDir(absDir, `FlatImageFolder: image folder '${absDir}' does not exist`);
  const extensions = (opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const images = (await readdir(absDir, { withFileTypes: true })).filter(
    (e) => !e.name.startsWith('.') && !e.isDirectory() && extensions.some((x) => e.name.toLowerCase().endsWith(x)),
  );
  const files = images.map((e) => e.name).sort(byCodePoint);
  if (files.length === 0) throw new Error(`FlatImageFolder: no images (${extensions.join(', ')}) in '${absDir}'`);
  const classes = [...opts.classes];
  const classToIndex: Record<string, number> = Object.create(null);
  classes.forEach((c, i) => (classToIndex[c] = i));
  const stem = (name: string) => name.replace(/\.[^.]+$/, '');
  const byStem = new Map(files.map((f) => [stem(f), f]));

  let text: string;
  try {
    text = await readFile(opts.labelsFile, 'utf8');
  } catch (err) {
    throw new Error(`FlatImageFolder: cannot read labels file '${opts.labelsFile}': ${(err as Error).message}`);
  }
  const where = (line: number) => `${opts.labelsFile}:${line}`;
  const toIndex = (label: string, line: number): number => {
    if (label in classToIndex) return classToIndex[label];
    if (/^\d+$/.test(label) && Number(label) < classes.length) return Number(label);
    throw new Error(`FlatImageFolder: ${where(line)}: unknown label '${label}' (not a class name nor an index < ${classes.length})`);
  };
  const labelOf = new Map<string, number>();
  const bare: { label: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || /^ImageId\s*,/i.test(line)) return;
    const parts = line.split(/[\s,]+/);
    if (parts.length === 1) {
      bare.push({ label: parts[0], line: i + 1 });
      return;
    }
    const file = byStem.get(stem(parts[0])) ?? (byStem.has(parts[0]) ? byStem.get(parts[0]) : undefined);
    if (!file) throw new Error(`FlatImageFolder: ${where(i + 1)}: no image '${parts[0]}' in '${absDir}'`);
    if (labelOf.has(file)) throw new Error(`FlatImageFolder: ${where(i + 1)}: '${parts[0]}' is labelled twice`);
    labelOf.set(file, toIndex(parts[1], i + 1));
  });
  if (bare.length > 0 && labelOf.size > 0) throw new Error(`FlatImageFolder: ${opts.labelsFile} mixes '<file> <label>' lines with bare labels`);
  if (bare.length > 0) {
    if (bare.length !== files.length) {
      throw new Error(`FlatImageFolder: ${opts.labelsFile} has ${bare.length} labels for ${files.length} images in '${absDir}'`);
    }
    files.forEach((f, k) => labelOf.set(f, toIndex(bare[k].label, bare[k].line)));
  }
  const unlabelled = files.filter((f) => !labelOf.has(f));
  if (unlabelled.length) {
    throw new Error(`FlatImageFolder: ${unlabelled.length} image(s) without a label in ${opts.labelsFile}, e.g. ${unlabelled.slice(0, 3).join(', ')}`);
  }
  const samples = files.map((f) => ({ path: join(absDir, f), label: labelOf.get(f)! })).sort((a, b) => a.label - b.label || byCodePoint(a.path, b.path));
  const outsideRoot = await pathsOutsideRoot(absDir, images.filter((e) => e.isSymbolicLink()).map((e) => join(absDir, e.name)));
  if (outsideRoot.length) console.warn(outsideRootWarning('data-imagenet', absDir, outsideRoot));
  return { root: absDir, dir: absDir, classes, classToIndex, samples, outsideRoot };
}
