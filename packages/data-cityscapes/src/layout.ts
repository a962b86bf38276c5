import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

/** One image and its fine annotation, paths absolute. */
export interface CityscapesSample {
  image: string;
  /** `*_gtFine_labelIds.png`; absent for a test list (images only). */
  label?: string;
  /** `aachen_000000_000019` (file name without the suffix). */
  name: string;
}

export type Split = 'train' | 'val' | 'test';

export interface ScanOptions {
  /**
   * An image whose gtFine file is missing: 'error' (default) stops with the file named; 'skip' leaves the image
   * out and lists it in `skipped`.
   */
  onMissingLabel?: 'error' | 'skip';
}

/** Samples found under a root, and those left out by `onMissingLabel: 'skip'` (with the label path that was missing). */
export interface CityscapesSamples {
  root: string;
  samples: CityscapesSample[];
  skipped: Array<{ image: string; missingLabel: string }>;
}

export interface CityscapesSplit extends CityscapesSamples {
  split: Split;
}

const IMAGE_SUFFIX = '_leftImg8bit.png';
const LABEL_SUFFIX = '_gtFine_labelIds.png';

const exists = (p: string) => stat(p).then((s) => s.isFile(), () => false);

/**
 * Scans the official layout: `<root>/leftImg8bit/<split>/<city>/<name>_leftImg8bit.png` with
 * `<root>/gtFine/<split>/<city>/<name>_gtFine_labelIds.png`; cities and files in sorted order.
 */
export async function scanCityscapes(root: string, split: Split, opts: ScanOptions = {}): Promise<CityscapesSplit> {
  const base = resolve(root);
  const imageDir = join(base, 'leftImg8bit', split);
  let cities: string[];
  try {
    cities = (await readdir(imageDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    throw new Error(`${imageDir}: no such folder (expected the Cityscapes layout leftImg8bit/${split}/<city>/*${IMAGE_SUFFIX})`);
  }
  const samples: CityscapesSample[] = [];
  const skipped: CityscapesSplit['skipped'] = [];
  for (const city of cities) {
    const files = (await readdir(join(imageDir, city))).filter((f) => f.endsWith(IMAGE_SUFFIX)).sort();
    for (const file of files) {
      const name = file.slice(0, -IMAGE_SUFFIX.length);
      const image = join(imageDir, city, file);
      if (split === 'test') {
        samples.push({ image, name });
        continue;
      }
      const label = join(base, 'gtFine', split, city, name + LABEL_SUFFIX);
      if (await exists(label)) samples.push({ image, label, name });
      else if (opts.onMissingLabel === 'skip') skipped.push({ image, missingLabel: label });
      else throw new Error(`${label}: missing gtFine label for ${relative(base, image)} (onMissingLabel: 'skip' leaves such images out)`);
    }
  }
  if (samples.length === 0) throw new Error(`${imageDir}: no *${IMAGE_SUFFIX} images`);
  return { root: base, split, samples, skipped };
}

/**
 * The list-file form the reference reads (`data/list/cityscapes/{train,val,test}.lst`): one sample per line,
 * `<image path> <label path>` relative to `root` (the test list: the image path only). Errors name file and line;
 * a listed label file that does not exist is an error naming it, or with `onMissingLabel: 'skip'` the line is
 * left out and listed in `skipped`.
 */
export async function readCityscapesList(root: string, listFile: string, opts: ScanOptions = {}): Promise<CityscapesSamples> {
  const base = resolve(root);
  const text = await readFile(listFile, 'utf8').catch(() => {
    throw new Error(`${listFile}: cannot read the list file`);
  });
  const samples: CityscapesSample[] = [];
  const skipped: CityscapesSamples['skipped'] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const parts = line.trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0) continue;
    if (parts.length > 2) throw new Error(`${listFile}:${i + 1}: expected '<image> [<label>]', got ${parts.length} fields`);
    const file = parts[0].split('/').pop()!;
    const name = file.endsWith(IMAGE_SUFFIX) ? file.slice(0, -IMAGE_SUFFIX.length) : file.replace(/\.[^.]+$/, '');
    const image = join(base, parts[0]);
    const label = parts[1] ? join(base, parts[1]) : undefined;
    if (label && !(await exists(label))) {
      if (opts.onMissingLabel === 'skip') skipped.push({ image, missingLabel: label });
      else throw new Error(`${label}: missing gtFine label for ${parts[0]} (${listFile}:${i + 1}; onMissingLabel: 'skip' leaves such lines out)`);
      continue;
    }
    samples.push({ image, label, name });
  }
  if (samples.length === 0) throw new Error(`${listFile}: no samples`);
  return { root: base, samples, skipped };
}
